// expect: none
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.Dcgan;

public static class Program
{
    /// <summary>Custom weights for both networks, as the DCGAN paper asks: N(0, 0.02), and N(1, 0.02) for the norms' scales.</summary>
    public static void WeightsInit(Module module)
    {
        using var _ = no_grad();
        if (module is Conv2d conv)
        {
            init.normal_(conv.weight, 0.0, 0.02);
        }
        else if (module is ConvTranspose2d deconv)
        {
            init.normal_(deconv.weight, 0.0, 0.02);
        }
        else if (module is BatchNorm2d norm)
        {
            init.normal_(norm.weight, 1.0, 0.02);
            init.zeros_(norm.bias);
        }
    }

    public static void Main(string[] args)
    {
        var device = cuda.is_available() ? CUDA : CPU;
        var generator = new Generator().to(device);
        generator.apply(WeightsInit);
        var discriminator = new Discriminator().to(device);
        discriminator.apply(WeightsInit);

        var criterion = BCELoss();
        var optimizerD = optim.Adam(discriminator.parameters(), 0.0002, 0.5, 0.999);
        var optimizerG = optim.Adam(generator.parameters(), 0.0002, 0.5, 0.999);
        var fixedNoise = randn(64, 100, 1, 1, device: device);
        Console.WriteLine(generator.call(fixedNoise).shape[0]);
    }
}
