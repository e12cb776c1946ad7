// expect: GG0004
// A time-series forecaster that unrolls an LSTMCell over the window by hand, trained with Adam and a step schedule but
// no clipping.
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Forecasting
{
    public sealed class CellForecaster : Module<Tensor, Tensor>
    {
        private readonly LSTMCell cell;
        private readonly Linear readout;
        private readonly long hiddenSize;

        public CellForecaster(long features, long hiddenSize) : base(nameof(CellForecaster))
        {
            this.hiddenSize = hiddenSize;
            cell = LSTMCell(features, hiddenSize);
            readout = Linear(hiddenSize, features);
            RegisterComponents();
        }

        public override Tensor forward(Tensor window)
        {
            var batch = window.shape[1];
            var h = zeros(batch, hiddenSize);
            var c = zeros(batch, hiddenSize);
            for (long t = 0; t < window.shape[0]; t++)
            {
                (h, c) = cell.call(window[t], (h, c));
            }

            return readout.call(h);
        }
    }

    public static class Program
    {
        public static void Main()
        {
            var model = new CellForecaster(features: 3, hiddenSize: 32);
            var optimizer = optim.Adam(model.parameters(), 1e-3);
            var scheduler = optim.lr_scheduler.StepLR(optimizer, step_size: 20, gamma: 0.5);
            var windows = randn(64, 16, 3);
            var targets = randn(16, 3);
            for (int epoch = 0; epoch < 100; epoch++)
            {
                optimizer.zero_grad();
                var loss = functional.mse_loss(model.call(windows), targets);
                loss.backward();
                optimizer.step();
                scheduler.step();
                Console.WriteLine($"epoch {epoch}: {loss.item<float>():F4}");
            }
        }
    }
}
