// expect: GG0006@26,26,48,95,95
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DenseNet;

/// <summary>
/// DenseNet-121: in each dense block every layer sees the concatenation of all the feature maps before it, kept in a
/// list and joined with <c>torch.cat(features, 1)</c>; BN-ReLU-conv ordering; transitions halve the width.
/// </summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    private readonly Sequential bottleneck;
    private readonly Sequential conv;

    public DenseLayer(long input, long growth, long sizeFactor = 4) : base(nameof(DenseLayer))
    {
        bottleneck = Sequential(BatchNorm2d(input), ReLU(true), Conv2d(input, sizeFactor * growth, 1, bias: false));
        conv = Sequential(BatchNorm2d(sizeFactor * growth), ReLU(true), Conv2d(sizeFactor * growth, growth, 3, padding: 1, bias: false));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.forward(bottleneck.forward(x));
}

public sealed class DenseBlock : Module<Tensor, Tensor>
{
    private readonly ModuleList<DenseLayer> layers = new();

    public DenseBlock(int count, long input, long growth) : base(nameof(DenseBlock))
    {
        for (var i = 0; i < count; i++)
        {
            layers.Add(new DenseLayer(input + i * growth, growth));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var features = new List<Tensor> { x };
        foreach (var layer in layers)
        {
            features.Add(layer.forward(torch.cat(features, 1)));
        }

        return torch.cat(features, 1);
    }
}

public sealed class DenseNet121 : Module<Tensor, Tensor>
{
    private readonly Sequential features = Sequential();
    private readonly Linear classifier;

    public DenseNet121(long growth = 32, long classes = 1000) : base(nameof(DenseNet121))
    {
        var blocks = new[] { 6, 12, 24, 16 };
        long channels = 64;
        features.append(Conv2d(3, channels, 7, stride: 2, padding: 3, bias: false));
        features.append(BatchNorm2d(channels));
        features.append(ReLU(true));
        features.append(MaxPool2d(3, stride: 2, padding: 1));
        for (var i = 0; i < blocks.Length; i++)
        {
            features.append(new DenseBlock(blocks[i], channels, growth));
            channels += blocks[i] * growth;
            if (i != blocks.Length - 1)
            {
                features.append(Sequential(BatchNorm2d(channels), ReLU(true), Conv2d(channels, channels / 2, 1, bias: false), AvgPool2d(2, stride: 2)));
                channels /= 2;
            }
        }

        features.append(BatchNorm2d(channels));
        classifier = Linear(channels, classes);
        RegisterComponents();
        foreach (var module in modules())
        {
            if (module is Conv2d conv)
            {
                init.kaiming_normal_(conv.weight);
            }
            else if (module is Linear linear)
            {
                init.zeros_(linear.bias);
            }
        }
    }

    public override Tensor forward(Tensor x) => classifier.forward(functional.adaptive_avg_pool2d(functional.relu(features.forward(x)), 1).flatten(1));
}
