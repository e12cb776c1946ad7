// expect: GG0006@27
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.UNetBatchNorm;

/// <summary>
/// A U-Net with batch-normalised double convolutions, built from a list of widths: encoder and decoder blocks kept in
/// ModuleLists, the skip features collected in a list during the forward pass and concatenated in reverse order.
/// </summary>
public sealed class DoubleConv : Module<Tensor, Tensor>
{
    private readonly Sequential body;

    public DoubleConv(long input, long output) : base(nameof(DoubleConv))
    {
        body = Sequential(
            Conv2d(input, output, 3, padding: 1, bias: false), BatchNorm2d(output), ReLU(inplace: true),
            Conv2d(output, output, 3, padding: 1, bias: false), BatchNorm2d(output), ReLU(inplace: true));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => body.forward(x);
}

public sealed class UNet : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> downs = new();
    private readonly ModuleList<Module<Tensor, Tensor>> ups = new();
    private readonly Module<Tensor, Tensor> pool = MaxPool2d(2);
    private readonly DoubleConv bottleneck;
    private readonly Module<Tensor, Tensor> final;

    public UNet(long inChannels = 3, long outChannels = 1, long[]? features = null) : base(nameof(UNet))
    {
        features ??= new long[] { 64, 128, 256, 512 };
        var channels = inChannels;
        foreach (var width in features)
        {
            downs.Add(new DoubleConv(channels, width));
            channels = width;
        }

        foreach (var width in features.Reverse())
        {
            ups.Add(ConvTranspose2d(width * 2, width, 2, stride: 2));
            ups.Add(new DoubleConv(width * 2, width));
        }

        bottleneck = new DoubleConv(features[features.Length - 1], features[features.Length - 1] * 2);
        final = Conv2d(features[0], outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var skips = new List<Tensor>();
        foreach (var down in downs)
        {
            x = down.call(x);
            skips.Add(x);
            x = pool.call(x);
        }

        x = bottleneck.call(x);
        skips.Reverse();
        for (var index = 0; index < ups.Count; index += 2)
        {
            x = ups[index].call(x);
            var skip = skips[index / 2];
            x = torch.cat(new[] { skip, x }, dim: 1);
            x = ups[index + 1].call(x);
        }

        return final.call(x);
    }
}
