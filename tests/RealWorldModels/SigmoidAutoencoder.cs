// expect: GG0001@13 GG0006@33,33
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.SigmoidAutoencoder;

/// <summary>
/// A stacked autoencoder in the style of the 2006 papers: sigmoid units all the way from the image to the code and
/// back, the output a sigmoid too. Eight saturating layers in a row; the last one, the output's, is not counted.
/// </summary>
public sealed class Autoencoder : Module<Tensor, Tensor>
{
    private readonly Sequential encoder;
    private readonly Sequential decoder;

    public Autoencoder(long pixels = 784) : base(nameof(Autoencoder))
    {
        encoder = Sequential(
            Linear(pixels, 1000), Sigmoid(),
            Linear(1000, 500), Sigmoid(),
            Linear(500, 250), Sigmoid(),
            Linear(250, 30), Sigmoid());
        decoder = Sequential(
            Linear(30, 250), Sigmoid(),
            Linear(250, 500), Sigmoid(),
            Linear(500, 1000), Sigmoid(),
            Linear(1000, pixels), Sigmoid());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => decoder.forward(encoder.forward(x));
}
