// expect: GG0006 GG0006
// An LSTM language model trained with GradGuard's monitor attached and its ClipGradients between backward and step (so
// GG0004 is satisfied); but two layers are run through forward(), so the monitor's hooks never see them run.
using System;
using GradGuard.TorchSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LanguageModel
{
    public sealed class WordLstm : Module<Tensor, Tensor>
    {
        private readonly Embedding embedding;
        private readonly LSTM lstm;
        private readonly Linear decoder;

        public WordLstm(long vocabulary, long width) : base(nameof(WordLstm))
        {
            embedding = Embedding(vocabulary, width);
            lstm = LSTM(width, width, numLayers: 2, dropout: 0.2);
            decoder = Linear(width, vocabulary);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens)
        {
            var (output, _, _) = lstm.call(embedding.forward(tokens));
            return decoder.forward(output);
        }
    }

    public static class Training
    {
        public static void Run(WordLstm model, Tensor tokens, Tensor next, int steps)
        {
            using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "word-lstm", CollectEvery = 10 });
            var optimizer = optim.SGD(model.parameters(), 20.0);
            for (int step = 0; step < steps; step++)
            {
                optimizer.zero_grad();
                var logits = model.call(tokens);
                var loss = functional.cross_entropy(logits.view(-1, logits.shape[^1]), next.view(-1));
                loss.backward();
                monitor.ClipGradients(0.25);
                monitor.Collect();
                optimizer.step();
            }
        }
    }
}
