// expect: GG0006@40,41,41,42,42,44,44,71,71,71
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.SeResNet;

/// <summary>
/// A squeeze-and-excitation ResNet: basic blocks whose residual branch is rescaled channel by channel by a sigmoid
/// gate before the shortcut is added. The gate's sigmoid multiplies the signal and is no stack.
/// </summary>
public sealed class SeBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Linear squeeze;
    private readonly Linear excite;
    private readonly Module<Tensor, Tensor> shortcut;

    public SeBasicBlock(long input, long planes, long stride = 1, long reduction = 16) : base(nameof(SeBasicBlock))
    {
        conv1 = Conv2d(input, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        squeeze = Linear(planes, planes / reduction, hasBias: false);
        excite = Linear(planes / reduction, planes, hasBias: false);
        shortcut = stride == 1 && input == planes
            ? Identity()
            : Sequential(Conv2d(input, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var residual = shortcut.forward(x);
        var @out = functional.relu(bn1.forward(conv1.forward(x)));
        @out = bn2.forward(conv2.forward(@out));
        var weights = @out.mean(new long[] { 2, 3 });
        weights = torch.sigmoid(excite.forward(functional.relu(squeeze.forward(weights))));
        @out = @out * weights.unsqueeze(-1).unsqueeze(-1);
        return functional.relu(@out + residual);
    }
}

public sealed class SeResNet18 : Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly Sequential body = Sequential();
    private readonly Linear fc;

    public SeResNet18(long classes = 100) : base(nameof(SeResNet18))
    {
        stem = Sequential(Conv2d(3, 64, 3, padding: 1, bias: false), BatchNorm2d(64), ReLU());
        long channels = 64;
        foreach (var (planes, stride) in new[] { (64L, 1L), (128L, 2L), (256L, 2L), (512L, 2L) })
        {
            body.append(new SeBasicBlock(channels, planes, stride));
            body.append(new SeBasicBlock(planes, planes));
            channels = planes;
        }

        fc = Linear(512, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.forward(functional.adaptive_avg_pool2d(body.forward(stem.forward(x)), 1).flatten(1));
}
