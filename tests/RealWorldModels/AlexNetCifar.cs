// expect: GG0002@21,23,25,28,34,37 GG0006@50,50,51
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.AlexNetCifar;

/// <summary>
/// AlexNet for 32×32 images as the TorchSharp examples write it: five convolutions and two hidden linear layers, all
/// feeding ReLU, no normalisation, TorchSharp's default init.
/// </summary>
public sealed class AlexNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgPool;
    private readonly Module<Tensor, Tensor> classifier;

    public AlexNet(string name, int classes, Device? device = null) : base(name)
    {
        features = Sequential(
            ("c1", Conv2d(3, 64, kernel_size: 3, stride: 2, padding: 1)),
            ("r1", ReLU(inplace: true)),
            ("c2", Conv2d(64, 192, kernel_size: 3, padding: 1)),
            ("r2", ReLU(inplace: true)),
            ("c3", Conv2d(192, 384, kernel_size: 3, padding: 1)),
            ("r3", ReLU(inplace: true)),
            ("c4", Conv2d(384, 256, kernel_size: 3, padding: 1)),
            ("c5", Conv2d(256, 256, kernel_size: 3, padding: 1)),
            ("r5", ReLU(inplace: true)),
            ("mp", MaxPool2d(kernel_size: new long[] { 2, 2 })));
        avgPool = AdaptiveAvgPool2d(new long[] { 2, 2 });
        classifier = Sequential(
            ("d1", Dropout()),
            ("l1", Linear(256 * 2 * 2, 4096)),
            ("r6", ReLU(inplace: true)),
            ("d2", Dropout()),
            ("l2", Linear(4096, 4096)),
            ("r7", ReLU(inplace: true)),
            ("l3", Linear(4096, classes)));
        RegisterComponents();
        if (device is not null && device.type != DeviceType.CPU)
        {
            this.to(device);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = avgPool.forward(features.forward(input)).flatten(1);
        return classifier.forward(x).MoveToOuterDisposeScope();
    }
}
