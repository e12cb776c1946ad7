// expect: GG0006@54,54,57,79,79,80,110,110,113,116,160,164
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.PaddleOcrBackbone;

/// <summary>
/// An OCR detection backbone ported from PaddleOCR: conv + batch-norm layers whose activation is chosen by name,
/// residual units with an optional squeeze-excitation gate and a shortcut only when the stride is (1, 1) and the
/// widths match, stages collected in a list that is cleared and reused, and a forward that returns one feature map
/// per stage.
/// </summary>
public sealed class HardSwish : Module<Tensor, Tensor>
{
    public HardSwish() : base(nameof(HardSwish))
    {
    }

    public override Tensor forward(Tensor x) => x * functional.relu6(x + 3) / 6;
}

public sealed class ConvBnLayer : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly Module<Tensor, Tensor>? act;

    public ConvBnLayer(long input, long output, (long, long) kernel, (long, long) stride, (long, long) padding, long groups = 1, string activation = "relu", bool withActivation = true)
        : base(nameof(ConvBnLayer))
    {
        conv = Conv2d(input, output, kernel, stride: stride, padding: padding, groups: groups, bias: false);
        bn = BatchNorm2d(output);
        if (withActivation)
        {
            if (activation == "relu")
            {
                act = ReLU(inplace: true);
            }
            else if (activation == "hard_swish")
            {
                act = new HardSwish();
            }
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = bn.forward(conv.forward(input));
        if (act is not null)
        {
            x = act.forward(x);
        }

        return x;
    }
}

public sealed class SqueezeExcite : Module<Tensor, Tensor>
{
    private readonly AdaptiveAvgPool2d pool = AdaptiveAvgPool2d(1);
    private readonly Conv2d reduce;
    private readonly Conv2d expand;

    public SqueezeExcite(long channels, long reduction = 4) : base(nameof(SqueezeExcite))
    {
        reduce = Conv2d(channels, channels / reduction, 1);
        expand = Conv2d(channels / reduction, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = functional.relu(reduce.forward(pool.forward(input)));
        x = functional.hardsigmoid(expand.forward(x));
        return input * x;
    }
}

public sealed class ResidualUnit : Module<Tensor, Tensor>
{
    private readonly ConvBnLayer expand;
    private readonly ConvBnLayer depthwise;
    private readonly SqueezeExcite? excite;
    private readonly ConvBnLayer project;
    private readonly bool shortcut;

    public ResidualUnit(long input, long middle, long output, (long, long) kernel, (long, long) stride, bool useSe, string activation) : base(nameof(ResidualUnit))
    {
        shortcut = stride == (1, 1) && input == output;
        expand = new ConvBnLayer(input, middle, (1, 1), (1, 1), (0, 0), activation: activation);
        var (k, _) = kernel;
        depthwise = new ConvBnLayer(middle, middle, kernel, stride, ((k - 1) / 2, (k - 1) / 2), groups: middle, activation: activation);
        if (useSe)
        {
            excite = new SqueezeExcite(middle);
        }

        project = new ConvBnLayer(middle, output, (1, 1), (1, 1), (0, 0), withActivation: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = depthwise.forward(expand.forward(input));
        if (excite is not null)
        {
            x = excite.forward(x);
        }

        x = project.forward(x);
        return shortcut ? input + x : x;
    }
}

public sealed class MobileNetV3Backbone : Module<Tensor, List<Tensor>>
{
    private readonly ConvBnLayer stem;
    private readonly ModuleList<Module<Tensor, Tensor>> stages = new();

    public MobileNetV3Backbone(long inChannels = 3, double scale = 0.5) : base(nameof(MobileNetV3Backbone))
    {
        long MakeDivisible(double value, long divisor = 8) => Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);

        stem = new ConvBnLayer(inChannels, MakeDivisible(16 * scale), (3, 3), (2, 2), (1, 1), activation: "hard_swish");
        var channels = MakeDivisible(16 * scale);
        var blocks = new List<(string, Module<Tensor, Tensor>)>();

        blocks.Add(("0", new ResidualUnit(channels, MakeDivisible(16 * scale), MakeDivisible(16 * scale), (3, 3), (1, 1), false, "relu")));
        blocks.Add(("1", new ResidualUnit(MakeDivisible(16 * scale), MakeDivisible(64 * scale), MakeDivisible(24 * scale), (3, 3), (2, 2), false, "relu")));
        blocks.Add(("2", new ResidualUnit(MakeDivisible(24 * scale), MakeDivisible(72 * scale), MakeDivisible(24 * scale), (3, 3), (1, 1), false, "relu")));
        stages.Add(Sequential(blocks));
        blocks.Clear();

        blocks.Add(("0", new ResidualUnit(MakeDivisible(24 * scale), MakeDivisible(72 * scale), MakeDivisible(40 * scale), (5, 5), (2, 2), true, "relu")));
        blocks.Add(("1", new ResidualUnit(MakeDivisible(40 * scale), MakeDivisible(120 * scale), MakeDivisible(40 * scale), (5, 5), (1, 1), true, "relu")));
        stages.Add(Sequential(blocks));
        blocks.Clear();

        blocks.Add(("0", new ResidualUnit(MakeDivisible(40 * scale), MakeDivisible(240 * scale), MakeDivisible(80 * scale), (3, 3), (2, 2), false, "hard_swish")));
        blocks.Add(("1", new ResidualUnit(MakeDivisible(80 * scale), MakeDivisible(200 * scale), MakeDivisible(80 * scale), (3, 3), (1, 1), false, "hard_swish")));
        blocks.Add(("2", new ResidualUnit(MakeDivisible(80 * scale), MakeDivisible(480 * scale), MakeDivisible(112 * scale), (3, 3), (1, 1), true, "hard_swish")));
        stages.Add(Sequential(blocks));
        blocks.Clear();

        blocks.Add(("0", new ResidualUnit(MakeDivisible(112 * scale), MakeDivisible(672 * scale), MakeDivisible(160 * scale), (5, 5), (2, 2), true, "hard_swish")));
        blocks.Add(("1", new ConvBnLayer(MakeDivisible(160 * scale), MakeDivisible(960 * scale), (1, 1), (1, 1), (0, 0), activation: "hard_swish")));
        stages.Add(Sequential(blocks));
        blocks.Clear();
        RegisterComponents();
    }

    public override List<Tensor> forward(Tensor input)
    {
        var x = stem.forward(input);
        var outputs = new List<Tensor>();
        foreach (var stage in stages)
        {
            x = stage.forward(x);
            outputs.Add(x);
        }

        return outputs;
    }
}
