// expect: GG0002@20,21,22 GG0006@37,37,37
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.CollectionExpressions;

/// <summary>
/// Modern C#: the layers in a collection expression, widths in another, the blocks spread into the Sequential's list,
/// and the skip features of a small encoder concatenated from a collection expression.
/// </summary>
public static class Models
{
    public static Sequential Classifier()
    {
        List<Module<Tensor, Tensor>> layers =
        [
            Linear(784, 256), ReLU(),
            Linear(256, 256), ReLU(),
            Linear(256, 128), ReLU(),
        ];
        List<Module<Tensor, Tensor>> head = [Linear(128, 10)];
        return Sequential([.. layers, .. head]);
    }
}

public sealed class TwoScale : Module<Tensor, Tensor>
{
    private readonly Sequential fine = Sequential(Conv2d(3, 16, 3, padding: 1), BatchNorm2d(16), ReLU());
    private readonly Sequential coarse = Sequential(MaxPool2d(2), Conv2d(3, 16, 3, padding: 1), BatchNorm2d(16), ReLU(), Upsample(scale_factor: [2.0, 2.0]));
    private readonly Conv2d merge = Conv2d(32, 8, 1);

    public TwoScale() : base(nameof(TwoScale)) => RegisterComponents();

    public override Tensor forward(Tensor x) => merge.forward(torch.cat([fine.forward(x), coarse.forward(x)], 1));
}
