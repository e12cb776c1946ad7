// expect: GG0004
// Clipping behind a command-line option that defaults to off: the default path from backward() to step() does not clip.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Options
{
    public sealed record TrainingOptions(int Epochs = 10, double LearningRate = 1e-3, double ClipNorm = 0.0);

    public sealed class StackedLstm : Module<Tensor, Tensor>
    {
        private readonly LSTM lstm = LSTM(8, 32, numLayers: 3, batchFirst: true);
        private readonly Linear head = Linear(32, 1);

        public StackedLstm() : base(nameof(StackedLstm)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(lstm.call(x).Item1);
    }

    public static class Trainer
    {
        public static void Fit(StackedLstm model, Tensor x, Tensor y, TrainingOptions options)
        {
            var optimizer = optim.Adam(model.parameters(), options.LearningRate);
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                optimizer.zero_grad();
                var loss = functional.mse_loss(model.call(x), y);
                loss.backward();
                if (options.ClipNorm > 0)
                {
                    nn.utils.clip_grad_norm_(model.parameters(), options.ClipNorm);
                }

                optimizer.step();
            }
        }
    }
}
