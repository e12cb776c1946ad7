// expect: GG0004
// A small LSTM fitted to a sine wave with L-BFGS: the closure computes the loss and its gradient, and step() calls it
// as often as the line search needs, with no clipping inside.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SineFit
{
    internal sealed class SineModel : Module<Tensor, Tensor>
    {
        private readonly LSTM lstm = LSTM(1, 51, numLayers: 2);
        private readonly Linear linear = Linear(51, 1);

        public SineModel() : base(nameof(SineModel)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            var (output, _, _) = lstm.call(input);
            return linear.call(output);
        }
    }

    internal static class Program
    {
        private static void Main()
        {
            var input = sin(linspace(0, 20, 1000)).reshape(-1, 1, 1);
            var target = input.roll(-1, 0);
            var model = new SineModel();
            var optimizer = optim.LBFGS(model.parameters(), lr: 0.8);
            var criterion = MSELoss();
            for (int i = 0; i < 15; i++)
            {
                Func<Tensor> closure = () =>
                {
                    optimizer.zero_grad();
                    var loss = criterion.call(model.call(input), target);
                    loss.backward();
                    return loss;
                };
                var value = optimizer.step(closure);
                Console.WriteLine($"step {i}: {value.item<float>():F6}");
            }
        }
    }
}
