// expect: none
// A small CIFAR-10 ConvNet written as a custom module with BatchNorm, its children called through call(), trained
// without clipping: nothing recurrent, every layer registered.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Cifar
{
    public sealed class ConvNet : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = Conv2d(3, 32, 3, padding: 1);
        private readonly BatchNorm2d norm1 = BatchNorm2d(32);
        private readonly Conv2d conv2 = Conv2d(32, 64, 3, padding: 1);
        private readonly BatchNorm2d norm2 = BatchNorm2d(64);
        private readonly MaxPool2d pool = MaxPool2d(2);
        private readonly Linear classifier = Linear(64 * 8 * 8, 10);

        public ConvNet() : base(nameof(ConvNet)) => RegisterComponents();

        public override Tensor forward(Tensor images)
        {
            var x = pool.call(functional.relu(norm1.call(conv1.call(images))));
            x = pool.call(functional.relu(norm2.call(conv2.call(x))));
            return classifier.call(x.flatten(1));
        }
    }

    public static class CifarTraining
    {
        public static void Run(Device device)
        {
            var model = new ConvNet().to(device);
            var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            var images = randn(32, 3, 32, 32, device: device);
            var labels = randint(0, 10, new long[] { 32 }, device: device);
            for (int step = 0; step < 50; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                functional.cross_entropy(model.call(images), labels).backward();
                optimizer.step();
            }

            model.save("convnet.dat");
        }
    }
}
