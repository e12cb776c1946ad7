// expect: GG0006@28,46
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.Dcgan;

/// <summary>
/// The DCGAN pair: a generator of transposed convolutions with batch normalisation and ReLU, a discriminator of
/// strided convolutions with LeakyReLU. Their weights are drawn from N(0, 0.02) by <c>WeightsInit</c>, which the
/// training program (another file) applies to both.
/// </summary>
public sealed class Generator : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> main;

    public Generator(long latent = 100, long features = 64, long channels = 3) : base(nameof(Generator))
    {
        main = Sequential(
            ConvTranspose2d(latent, features * 8, 4, 1, 0, bias: false), BatchNorm2d(features * 8), ReLU(true),
            ConvTranspose2d(features * 8, features * 4, 4, 2, 1, bias: false), BatchNorm2d(features * 4), ReLU(true),
            ConvTranspose2d(features * 4, features * 2, 4, 2, 1, bias: false), BatchNorm2d(features * 2), ReLU(true),
            ConvTranspose2d(features * 2, features, 4, 2, 1, bias: false), BatchNorm2d(features), ReLU(true),
            ConvTranspose2d(features, channels, 4, 2, 1, bias: false), Tanh());
        RegisterComponents();
    }

    public override Tensor forward(Tensor noise) => main.forward(noise);
}

public sealed class Discriminator : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> main;

    public Discriminator(long features = 64, long channels = 3) : base(nameof(Discriminator))
    {
        main = Sequential(
            Conv2d(channels, features, 4, 2, 1, bias: false), LeakyReLU(0.2, inplace: true),
            Conv2d(features, features * 2, 4, 2, 1, bias: false), BatchNorm2d(features * 2), LeakyReLU(0.2, inplace: true),
            Conv2d(features * 2, features * 4, 4, 2, 1, bias: false), BatchNorm2d(features * 4), LeakyReLU(0.2, inplace: true),
            Conv2d(features * 4, features * 8, 4, 2, 1, bias: false), BatchNorm2d(features * 8), LeakyReLU(0.2, inplace: true),
            Conv2d(features * 8, 1, 4, 1, 0, bias: false), Sigmoid());
        RegisterComponents();
    }

    public override Tensor forward(Tensor image) => main.forward(image).view(-1, 1).squeeze(1);
}
