// expect: GG0005@36
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.KerasUniformConvNet;

/// <summary>
/// A CIFAR convnet ported from a Keras tutorial, keeping Keras's old default initialiser, uniform on [−0.05, 0.05],
/// with no batch normalisation. E[w²] = 0.1² / 12 ≈ 8.3·10⁻⁴, so a 3×3 convolution over 32 channels (fan-in 288)
/// before ReLU scales the variance by 0.12, over 3 channels by 0.011: the six layers together by about 10⁻⁵.
/// </summary>
public sealed class KerasConvNet : Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    public KerasConvNet(long classes = 10) : base(nameof(KerasConvNet))
    {
        features = Sequential(
            Conv2d(3, 32, 3, padding: 1), ReLU(),
            Conv2d(32, 32, 3), ReLU(), MaxPool2d(2), Dropout(0.25),
            Conv2d(32, 64, 3, padding: 1), ReLU(),
            Conv2d(64, 64, 3), ReLU(), MaxPool2d(2), Dropout(0.25));
        classifier = Sequential(Flatten(), Linear(64 * 6 * 6, 512), ReLU(), Dropout(0.5), Linear(512, classes));
        RegisterComponents();
        apply(KerasDefaults);
    }

    private static void KerasDefaults(Module module)
    {
        using var _ = no_grad();
        if (module is Conv2d conv)
        {
            init.uniform_(conv.weight, -0.05, 0.05);
            init.zeros_(conv.bias);
        }
        else if (module is Linear linear)
        {
            init.uniform_(linear.weight, -0.05, 0.05);
            init.zeros_(linear.bias);
        }
    }

    public override Tensor forward(Tensor images) => classifier.call(features.call(images));
}
