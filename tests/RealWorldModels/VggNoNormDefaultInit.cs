// expect: GG0002@32,41,44
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.VggNoNormDefaultInit;

/// <summary>
/// A VGG-11 without batch normalisation and with TorchSharp's default init: eight convolutions and two hidden linear
/// layers, each feeding a ReLU, one after the other with nothing between them that rescales the signal.
/// </summary>
public sealed class SmallVgg : Module<Tensor, Tensor>
{
    private static readonly int[] Widths = { 64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1 };

    private readonly Sequential features = Sequential();
    private readonly Sequential classifier;

    public SmallVgg(int classes = 10) : base(nameof(SmallVgg))
    {
        var channels = 3;
        foreach (var width in Widths)
        {
            if (width < 0)
            {
                features.append(MaxPool2d(2));
            }
            else
            {
                features.append(Conv2d(channels, width, 3, padding: 1));
                features.append(ReLU());
                channels = width;
            }
        }

        classifier = Sequential(
            Flatten(),
            Dropout(),
            Linear(512, 512),
            ReLU(),
            Dropout(),
            Linear(512, 512),
            ReLU(),
            Linear(512, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => classifier.call(features.call(x));
}
