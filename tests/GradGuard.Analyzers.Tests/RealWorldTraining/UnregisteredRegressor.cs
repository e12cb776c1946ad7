// expect: GG0007
// A regressor whose author forgot RegisterComponents(): parameters() is empty, so Adam is built over nothing and the
// loss never moves.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Housing
{
    public class PriceRegressor : Module<Tensor, Tensor>
    {
        private readonly Linear hidden;
        private readonly Linear output;
        private readonly Dropout dropout;

        public PriceRegressor(long features) : base(nameof(PriceRegressor))
        {
            hidden = Linear(features, 64);
            output = Linear(64, 1);
            dropout = Dropout(0.1);
        }

        public override Tensor forward(Tensor x) => output.call(dropout.call(functional.relu(hidden.call(x))));
    }

    public static class Program
    {
        public static void Main()
        {
            var model = new PriceRegressor(13);
            var optimizer = optim.Adam(model.parameters(), 1e-3);
            var x = randn(256, 13);
            var y = randn(256, 1);
            for (int epoch = 0; epoch < 20; epoch++)
            {
                optimizer.zero_grad();
                functional.mse_loss(model.call(x), y).backward();
                optimizer.step();
            }
        }
    }
}
