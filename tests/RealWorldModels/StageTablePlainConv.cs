// expect: GG0002@33 GG0003@16 GG0006@47,47
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.StageTablePlainConv;

/// <summary>
/// A plain VGG-like network described by a table of stages (width, convolutions, whether to downsample): 22
/// convolutions with ReLU and no normalisation or shortcut. Its init and its depth both starve the first layers.
/// </summary>
public readonly record struct Stage(long Width, int Convolutions, bool Downsample);

public sealed class PlainNet : Module<Tensor, Tensor>
{
    private static readonly Stage[] Stages =
    {
        new(64, 2, true), new(128, 4, true), new(256, 6, true), new(512, 6, true), new(512, 4, false),
    };

    private readonly Sequential features = Sequential();
    private readonly Linear head = Linear(512, 10);

    public PlainNet() : base(nameof(PlainNet))
    {
        long channels = 3;
        foreach (var stage in Stages)
        {
            for (var i = 0; i < stage.Convolutions; i++)
            {
                features.append(Conv2d(channels, stage.Width, 3, padding: 1));
                features.append(ReLU());
                channels = stage.Width;
            }

            if (stage.Downsample)
            {
                features.append(MaxPool2d(2));
            }
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(functional.adaptive_avg_pool2d(features.forward(x), 1).flatten(1));
}
