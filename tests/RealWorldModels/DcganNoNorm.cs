// expect: GG0002@19,20,21,22
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DcganNoNorm;

/// <summary>
/// A generator without batch normalisation and with TorchSharp's default init: four transposed convolutions feed a
/// ReLU one after the other, so the signal's variance shrinks by about 3 at each of them.
/// </summary>
public sealed class Generator : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> net;

    public Generator(long latent = 128, long width = 64) : base(nameof(Generator))
    {
        net = Sequential(
            ConvTranspose2d(latent, width * 8, 4, 1, 0), ReLU(),
            ConvTranspose2d(width * 8, width * 4, 4, 2, 1), ReLU(),
            ConvTranspose2d(width * 4, width * 2, 4, 2, 1), ReLU(),
            ConvTranspose2d(width * 2, width, 4, 2, 1), ReLU(),
            ConvTranspose2d(width, 3, 4, 2, 1), Tanh());
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => net.call(z);
}
