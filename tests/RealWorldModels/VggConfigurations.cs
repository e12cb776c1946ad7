// expect: GG0006@54,54
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.VggConfigurations;

/// <summary>
/// VGG for CIFAR-10 read from a table of configurations: a zero in a configuration is a max-pooling layer, any other
/// number a 3×3 convolution of that width with batch normalisation and ReLU. VGG-19 has 16 convolutions and a linear
/// classifier, each normalised: deep enough to need care, shallow enough for GG0003.
/// </summary>
public sealed class Vgg : Module<Tensor, Tensor>
{
    private readonly Dictionary<string, long[]> configurations = new()
    {
        { "vgg11", new long[] { 64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0 } },
        { "vgg13", new long[] { 64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0 } },
        { "vgg16", new long[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 } },
        { "vgg19", new long[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0 } },
    };

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> classifier;

    public Vgg(string name, int classes) : base(name)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var widths = configurations[name.ToLower()];
        long channels = 3;
        for (var i = 0; i < widths.Length; i++)
        {
            if (widths[i] == 0)
            {
                layers.Add(($"pool{i}", MaxPool2d(kernel_size: 2, stride: 2)));
            }
            else
            {
                layers.Add(($"conv{i}", Conv2d(channels, widths[i], kernel_size: 3, padding: 1)));
                layers.Add(($"bn{i}", BatchNorm2d(widths[i])));
                layers.Add(($"relu{i}", ReLU(inplace: true)));
                channels = widths[i];
            }
        }

        layers.Add(("avgpool", AvgPool2d(kernel_size: 1, stride: 1)));
        layers.Add(("flatten", Flatten()));
        features = Sequential(layers);
        classifier = Linear(512, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => classifier.forward(features.forward(input));
}

public static class Training
{
    public static Module<Tensor, Tensor> Create(int classes) => new Vgg("VGG19", classes);
}
