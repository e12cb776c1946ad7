// expect: GG0006@86,86,86
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.VggHeInitSwitch;

/// <summary>
/// VGG as torchvision builds it: batch normalisation optional, and when it is off the convolutions are He-initialised
/// by a switch over <c>named_modules()</c>, the classifier drawn from N(0, 0.01).
/// </summary>
public sealed class Vgg : Module<Tensor, Tensor>
{
    private static readonly Dictionary<string, long[]> Configurations = new()
    {
        ["VGG11"] = new long[] { 64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0 },
        ["VGG16"] = new long[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 },
    };

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> pool;
    private readonly Module<Tensor, Tensor> classifier;

    public Vgg(string name, int classes, bool batchNorm, float dropout = 0.5f, string? weights = null) : base(name)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var width in Configurations[name])
        {
            if (width == 0)
            {
                layers.Add(MaxPool2d(kernel_size: 2, stride: 2));
                continue;
            }

            layers.Add(Conv2d(channels, width, kernel_size: 3, padding: 1));
            if (batchNorm)
            {
                layers.Add(BatchNorm2d(width));
            }

            layers.Add(ReLU(inplace: true));
            channels = width;
        }

        features = Sequential(layers);
        pool = AdaptiveAvgPool2d(new[] { 7L, 7L });
        classifier = Sequential(
            Linear(512 * 7 * 7, 4096), ReLU(true), Dropout(dropout),
            Linear(4096, 4096), ReLU(true), Dropout(dropout),
            Linear(4096, classes));
        RegisterComponents();

        if (string.IsNullOrEmpty(weights))
        {
            foreach (var (_, module) in named_modules())
            {
                switch (module)
                {
                    case TorchSharp.Modules.Conv2d conv:
                        init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                        if (conv.bias is not null)
                        {
                            init.constant_(conv.bias, 0);
                        }

                        break;
                    case TorchSharp.Modules.BatchNorm2d norm:
                        init.constant_(norm.weight, 1);
                        init.constant_(norm.bias, 0);
                        break;
                    case TorchSharp.Modules.Linear linear:
                        init.normal_(linear.weight, 0, 0.01);
                        init.constant_(linear.bias, 0);
                        break;
                }
            }
        }
        else
        {
            this.load(weights!);
        }
    }

    public override Tensor forward(Tensor input) => classifier.forward(pool.forward(features.forward(input)).flatten(1));

    public static Vgg Vgg11(int classes = 1000) => new("VGG11", classes, batchNorm: false);

    public static Vgg Vgg16Bn(int classes = 1000) => new("VGG16", classes, batchNorm: true);
}
