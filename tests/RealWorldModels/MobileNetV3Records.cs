// expect: GG0006@51,76,76,133,133
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MobileNetV3Records;

/// <summary>
/// MobileNet v3 small, its blocks described by a static table of records (kernel, expanded width, output width,
/// squeeze-excitation, activation, stride) and built in a loop over it: depthwise blocks with batch norm, ReLU or
/// hard-swish, a hard-sigmoid excitation gate, a residual connection where stride and widths allow. 18 weight layers
/// on the shortest path.
/// </summary>
public sealed record BlockConfig(long Kernel, long Expanded, long Output, bool UseSe, string Activation, long Stride);

internal sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Sequential block;
    private readonly bool residual;

    public InvertedResidual(BlockConfig config, long input) : base(nameof(InvertedResidual))
    {
        residual = config.Stride == 1 && input == config.Output;
        Module<Tensor, Tensor> Activation() => config.Activation == "HS" ? Hardswish() : ReLU();
        var layers = new List<Module<Tensor, Tensor>>();
        if (config.Expanded != input)
        {
            layers.Add(Conv2d(input, config.Expanded, 1, bias: false));
            layers.Add(BatchNorm2d(config.Expanded));
            layers.Add(Activation());
        }

        layers.Add(Conv2d(config.Expanded, config.Expanded, config.Kernel, stride: config.Stride, padding: (config.Kernel - 1) / 2, groups: config.Expanded, bias: false));
        layers.Add(BatchNorm2d(config.Expanded));
        layers.Add(Activation());
        if (config.UseSe)
        {
            layers.Add(new SqueezeExcitation(config.Expanded, config.Expanded / 4));
        }

        layers.Add(Conv2d(config.Expanded, config.Output, 1, bias: false));
        layers.Add(BatchNorm2d(config.Output));
        block = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var result = block.forward(x);
        if (residual)
        {
            result = result + x;
        }

        return result;
    }
}

internal sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;

    public SqueezeExcitation(long channels, long squeezed) : base(nameof(SqueezeExcitation))
    {
        fc1 = Conv2d(channels, squeezed, 1);
        fc2 = Conv2d(squeezed, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var scale = functional.adaptive_avg_pool2d(x, 1);
        scale = functional.hardsigmoid(fc2.forward(functional.relu(fc1.forward(scale))));
        return scale * x;
    }
}

public sealed class MobileNetV3Small : Module<Tensor, Tensor>
{
    private static readonly BlockConfig[] Blocks =
    {
        new(3, 16, 16, true, "RE", 2),
        new(3, 72, 24, false, "RE", 2),
        new(3, 88, 24, false, "RE", 1),
        new(5, 96, 40, true, "HS", 2),
        new(5, 240, 40, true, "HS", 1),
        new(5, 240, 40, true, "HS", 1),
        new(5, 120, 48, true, "HS", 1),
        new(5, 144, 48, true, "HS", 1),
        new(5, 288, 96, true, "HS", 2),
        new(5, 576, 96, true, "HS", 1),
        new(5, 576, 96, true, "HS", 1),
    };

    private readonly Sequential features;
    private readonly Sequential classifier;

    public MobileNetV3Small(long classes = 1000) : base(nameof(MobileNetV3Small))
    {
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(3, 16, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(16), Hardswish() };
        long channels = 16;
        foreach (var config in Blocks)
        {
            layers.Add(new InvertedResidual(config, channels));
            channels = config.Output;
        }

        layers.Add(Conv2d(channels, 576, 1, bias: false));
        layers.Add(BatchNorm2d(576));
        layers.Add(Hardswish());
        features = Sequential(layers);
        classifier = Sequential(Linear(576, 1024), Hardswish(), Dropout(0.2), Linear(1024, classes));
        RegisterComponents();

        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut);
                    break;
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.01);
                    init.zeros_(linear.bias);
                    break;
            }
        }
    }

    public override Tensor forward(Tensor x) => classifier.forward(functional.adaptive_avg_pool2d(features.forward(x), 1).flatten(1));
}
