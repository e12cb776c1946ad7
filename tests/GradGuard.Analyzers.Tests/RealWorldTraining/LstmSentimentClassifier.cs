// expect: none
// An LSTM sentiment classifier over padded token batches, trained with the gradient norm clipped before every step.
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Sentiment
{
    public sealed class SentimentModel : Module<Tensor, Tensor>
    {
        private readonly Embedding embedding;
        private readonly LSTM lstm;
        private readonly Dropout dropout = Dropout(0.3);
        private readonly Linear classifier;

        public SentimentModel(long vocabulary, long embeddingSize, long hiddenSize, long classes) : base(nameof(SentimentModel))
        {
            embedding = Embedding(vocabulary, embeddingSize, padding_idx: 0);
            lstm = LSTM(embeddingSize, hiddenSize, numLayers: 2, batchFirst: true, dropout: 0.3);
            classifier = Linear(hiddenSize, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens)
        {
            using var embedded = embedding.call(tokens);
            var (sequence, hidden, _) = lstm.call(embedded);
            return classifier.call(dropout.call(hidden[-1]));
        }
    }

    public static class SentimentTraining
    {
        public static void Fit(SentimentModel model, IEnumerable<(Tensor Tokens, Tensor Labels)> batches, int epochs)
        {
            var optimizer = optim.AdamW(model.parameters(), lr: 2e-3);
            var criterion = CrossEntropyLoss();
            model.train();
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var (tokens, labels) in batches)
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var loss = criterion.call(model.call(tokens), labels);
                    loss.backward();
                    nn.utils.clip_grad_norm_(model.parameters(), 5.0);
                    optimizer.step();
                }
            }
        }
    }
}
