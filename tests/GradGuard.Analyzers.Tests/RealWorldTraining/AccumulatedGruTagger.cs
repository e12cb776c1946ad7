// expect: none
// A bidirectional GRU tagger trained with gradient accumulation: backward() every batch, and every few batches a clip
// through a helper, then the step. Every path from a backward to the step clips.
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Tagging
{
    public sealed class GruTagger : Module<Tensor, Tensor>
    {
        private readonly Embedding words;
        private readonly GRU encoder;
        private readonly Linear tags;

        public GruTagger(long vocabulary, long width, long tagCount) : base(nameof(GruTagger))
        {
            words = Embedding(vocabulary, width);
            encoder = GRU(width, width, batchFirst: true, bidirectional: true);
            tags = Linear(2 * width, tagCount);
            RegisterComponents();
        }

        public override Tensor forward(Tensor sentence)
        {
            var (states, _) = encoder.call(words.call(sentence));
            return tags.call(states);
        }
    }

    public static class TaggerTraining
    {
        private static double ClipAndReport(Module model, double maxNorm)
        {
            var norm = nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
            return norm;
        }

        public static void Train(GruTagger model, IReadOnlyList<(Tensor Sentence, Tensor Tags)> data, int accumulation)
        {
            var optimizer = optim.Adam(model.parameters(), 1e-3);
            optimizer.zero_grad();
            for (int i = 0; i < data.Count; i++)
            {
                var logits = model.call(data[i].Sentence);
                var loss = functional.cross_entropy(logits.flatten(0, 1), data[i].Tags.flatten()) / accumulation;
                loss.backward();
                if ((i + 1) % accumulation == 0)
                {
                    ClipAndReport(model, 1.0);
                    optimizer.step();
                    optimizer.zero_grad();
                }
            }
        }
    }
}
