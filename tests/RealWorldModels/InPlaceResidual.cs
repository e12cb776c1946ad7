// expect: GG0006@31,32,32,55,55,55
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.InPlaceResidual;

/// <summary>
/// A wide residual network that saves memory with in-place operations: the shortcut is added with
/// <c>@out.add_(shortcut)</c> as a statement, the activation applied with <c>relu_()</c>. Without batch norm, default
/// init: the skip connections carry the signal.
/// </summary>
public sealed class WideBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Dropout dropout;

    public WideBlock(long planes, double dropRate) : base(nameof(WideBlock))
    {
        conv1 = Conv2d(planes, planes, 3, padding: 1);
        conv2 = Conv2d(planes, planes, 3, padding: 1);
        dropout = Dropout(dropRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var shortcut = x;
        var @out = conv1.forward(x).relu_();
        @out = conv2.forward(dropout.forward(@out));
        @out.add_(shortcut);
        return @out.relu_();
    }
}

public sealed class WideResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d stem = Conv2d(3, 160, 3, padding: 1);
    private readonly Sequential blocks = Sequential();
    private readonly Linear head = Linear(160, 10);

    public WideResNet(int depth = 28, double dropRate = 0.3) : base(nameof(WideResNet))
    {
        var count = (depth - 4) / 2;
        for (var i = 0; i < count; i++)
        {
            blocks.append(new WideBlock(160, dropRate));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(functional.adaptive_avg_pool2d(blocks.forward(stem.forward(x)), 1).flatten(1));
}
