// expect: GG0006 GG0006 GG0006 GG0006
// A DCGAN generator and discriminator as Sequentials with two optimizers, run through forward() as much GAN code is
// written: nothing recurrent to clip, but no hook on either network ever fires.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Gan
{
    public static class Dcgan
    {
        public static Sequential Generator(long latent) => Sequential(
            ConvTranspose2d(latent, 128, 4, 1, 0), BatchNorm2d(128), ReLU(),
            ConvTranspose2d(128, 64, 4, 2, 1), BatchNorm2d(64), ReLU(),
            ConvTranspose2d(64, 3, 4, 2, 1), Tanh());

        public static Sequential Discriminator() => Sequential(
            Conv2d(3, 64, 4, 2, 1), LeakyReLU(0.2),
            Conv2d(64, 128, 4, 2, 1), BatchNorm2d(128), LeakyReLU(0.2),
            Conv2d(128, 1, 4, 1, 0), Sigmoid());

        public static void Train(Tensor realImages, long latent, int steps)
        {
            var generator = Generator(latent);
            var discriminator = Discriminator();
            var generatorOptimizer = optim.Adam(generator.parameters(), 2e-4, beta1: 0.5);
            var discriminatorOptimizer = optim.Adam(discriminator.parameters(), 2e-4, beta1: 0.5);
            var criterion = BCELoss();
            var batch = realImages.shape[0];
            for (int step = 0; step < steps; step++)
            {
                discriminatorOptimizer.zero_grad();
                var fake = generator.forward(randn(batch, latent, 1, 1));
                var realScore = discriminator.forward(realImages).view(-1);
                var fakeScore = discriminator.call(fake.detach()).view(-1);
                var discriminatorLoss = criterion.call(realScore, ones_like(realScore)) + criterion.call(fakeScore, zeros_like(fakeScore));
                discriminatorLoss.backward();
                discriminatorOptimizer.step();

                generatorOptimizer.zero_grad();
                var generatorLoss = criterion.forward(discriminator.forward(fake).view(-1), ones_like(realScore));
                generatorLoss.backward();
                generatorOptimizer.step();
            }
        }
    }
}
