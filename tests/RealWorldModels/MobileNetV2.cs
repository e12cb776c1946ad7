// expect: GG0003@61
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MobileNetV2;

/// <summary>
/// MobileNet v2 in torchvision's shape: inverted residual blocks made by a factory from a table of (t, c, n, s)
/// rows, the residual connection only where stride and width allow it, widths rounded by a helper, and an init loop
/// over <c>named_modules()</c> with type tests and casts. He-initialised and normalised, but 23 weight layers lie on
/// its shortest path: the first block of each stage has no shortcut.
/// </summary>
internal static class Layers
{
    public static Sequential ConvNormActivation(long input, long output, long kernel = 3, long stride = 1, long groups = 1, Func<long, Module<Tensor, Tensor>>? norm = null) =>
        Sequential(
            Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            norm is null ? BatchNorm2d(output) : norm(output),
            ReLU6(inplace: true));

    public static long MakeDivisible(double value, long divisor)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}

internal sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv;
    private readonly bool useResidual;

    public InvertedResidual(long input, long output, long stride, double expandRatio, Func<long, Module<Tensor, Tensor>>? norm = null) : base(nameof(InvertedResidual))
    {
        norm ??= features => BatchNorm2d(features);
        var hidden = (long)Math.Round(input * expandRatio);
        useResidual = stride == 1 && input == output;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expandRatio != 1)
        {
            layers.Add(Layers.ConvNormActivation(input, hidden, kernel: 1, norm: norm));
        }

        layers.AddRange(new List<Module<Tensor, Tensor>>
        {
            Layers.ConvNormActivation(hidden, hidden, stride: stride, groups: hidden, norm: norm),
            Conv2d(hidden, output, 1, 1, 0, bias: false),
            norm(output),
        });
        conv = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => useResidual ? x + conv.call(x) : conv.call(x);
}

public sealed class MobileNetV2 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    public MobileNetV2(long classes = 1000, double widthMultiplier = 1.0, long[][]? settings = null, long roundNearest = 8, double dropout = 0.2)
        : base(nameof(MobileNetV2))
    {
        settings ??= new[]
        {
            new long[] { 1, 16, 1, 1 },
            new long[] { 6, 24, 2, 2 },
            new long[] { 6, 32, 3, 2 },
            new long[] { 6, 64, 4, 2 },
            new long[] { 6, 96, 3, 1 },
            new long[] { 6, 160, 3, 2 },
            new long[] { 6, 320, 1, 1 },
        };
        Func<long, long, long, double, Module<Tensor, Tensor>> block = (input, output, stride, t) => new InvertedResidual(input, output, stride, t);

        var inputChannels = Layers.MakeDivisible(32 * widthMultiplier, roundNearest);
        var lastChannels = Layers.MakeDivisible(1280 * Math.Max(1.0, widthMultiplier), roundNearest);
        var layers = new List<Module<Tensor, Tensor>> { Layers.ConvNormActivation(3, inputChannels, stride: 2) };
        foreach (var row in settings)
        {
            var (t, c, n, s) = (row[0], row[1], row[2], row[3]);
            var outputChannels = Layers.MakeDivisible(c * widthMultiplier, roundNearest);
            for (var i = 0; i < n; i++)
            {
                var stride = i == 0 ? s : 1;
                layers.Add(block(inputChannels, outputChannels, stride, t));
                inputChannels = outputChannels;
            }
        }

        layers.Add(Layers.ConvNormActivation(inputChannels, lastChannels, kernel: 1));
        features = Sequential(layers);
        classifier = Sequential(Dropout(dropout), Linear(lastChannels, classes));
        RegisterComponents();

        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d)
            {
                var conv = (Conv2d)module;
                init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut);
                if (conv.bias is not null)
                {
                    init.zeros_(conv.bias);
                }
            }
            else if (module is BatchNorm2d)
            {
                var norm = (BatchNorm2d)module;
                init.ones_(norm.weight);
                init.zeros_(norm.bias);
            }
            else if (module is Linear)
            {
                var linear = (Linear)module;
                init.normal_(linear.weight, 0, 0.01);
                init.zeros_(linear.bias);
            }
        }
    }

    public override Tensor forward(Tensor x)
    {
        x = features.call(x);
        x = functional.adaptive_avg_pool2d(x, new long[] { 1, 1 });
        x = torch.flatten(x, 1);
        return classifier.call(x);
    }
}
