// expect: GG0006@29,44,44,81,85,89,89,91,91
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.Darknet53Yolo;

/// <summary>
/// A YOLOv3-style detector: Darknet-53 residual units (1×1 then 3×3 convolution, batch norm, LeakyReLU, the input
/// added back) repeated per stage from a static table, and a neck that upsamples and concatenates the deeper map
/// with a shallower one through <c>torch.cat(new List&lt;Tensor&gt; { ... })</c>. Fifty-two convolutions, but every
/// stage is residual.
/// </summary>
public sealed class ConvUnit : Module<Tensor, Tensor>
{
    private readonly Sequential block;

    public ConvUnit(long input, long output, long kernel, long stride = 1) : base(nameof(ConvUnit))
    {
        block = Sequential(
            ("conv", Conv2d(input, output, kernel, stride, (kernel - 1) / 2, bias: false)),
            ("bn", BatchNorm2d(output)),
            ("act", LeakyReLU(0.1, true)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => block.forward(x);
}

public sealed class ResidualUnit : Module<Tensor, Tensor>
{
    private readonly ConvUnit reduce;
    private readonly ConvUnit expand;

    public ResidualUnit(long channels) : base(nameof(ResidualUnit))
    {
        reduce = new ConvUnit(channels, channels / 2, 1);
        expand = new ConvUnit(channels / 2, channels, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x + expand.forward(reduce.forward(x));
}

public sealed class Darknet53 : Module<Tensor, Tensor>
{
    private static readonly int[] Repeats = { 1, 2, 8, 8, 4 };

    private readonly ConvUnit stem = new(3, 32, 3);
    private readonly ModuleList<Sequential> stages = new();
    private readonly ConvUnit lateral;
    private readonly Module<Tensor, Tensor> upsample = Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest);
    private readonly ConvUnit fuse;
    private readonly Conv2d head;

    public Darknet53(int anchors = 3, int classes = 80) : base(nameof(Darknet53))
    {
        long channels = 32;
        for (var stage = 0; stage < Repeats.Length; stage++)
        {
            var layers = new List<Module<Tensor, Tensor>> { new ConvUnit(channels, channels * 2, 3, stride: 2) };
            channels *= 2;
            for (var unit = 0; unit < Repeats[stage]; unit++)
            {
                layers.Add(new ResidualUnit(channels));
            }

            stages.Add(Sequential(layers));
        }

        lateral = new ConvUnit(1024, 256, 1);
        fuse = new ConvUnit(256 + 512, 256, 3);
        head = Conv2d(256, anchors * (5 + classes), 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = stem.forward(x);
        var features = new List<Tensor>();
        foreach (var stage in stages)
        {
            x = stage.forward(x);
            features.Add(x);
        }

        var up = upsample.forward(lateral.forward(features[4]));
        var merged = torch.cat(new List<Tensor> { up, features[3] }, 1);
        return head.forward(fuse.forward(merged));
    }
}
