// expect: none
// The same kind of translator trained as the chatbot tutorial does it: both halves clipped separately before their steps,
// with a greedy decoder that feeds its own predictions back.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Chatbot
{
    public sealed class Encoder : Module<Tensor, (Tensor, Tensor)>
    {
        private readonly Embedding embedding;
        private readonly GRU gru;

        public Encoder(long vocabulary, long hidden) : base(nameof(Encoder))
        {
            embedding = Embedding(vocabulary, hidden);
            gru = GRU(hidden, hidden, numLayers: 2, bidirectional: false);
            RegisterComponents();
        }

        public override (Tensor, Tensor) forward(Tensor input) => gru.call(embedding.call(input));
    }

    public sealed class Decoder : Module<Tensor, Tensor, (Tensor, Tensor)>
    {
        private readonly Embedding embedding;
        private readonly GRU gru;
        private readonly Linear projection;

        public Decoder(long vocabulary, long hidden) : base(nameof(Decoder))
        {
            embedding = Embedding(vocabulary, hidden);
            gru = GRU(hidden, hidden, numLayers: 2);
            projection = Linear(hidden, vocabulary);
            RegisterComponents();
        }

        public override (Tensor, Tensor) forward(Tensor token, Tensor hidden)
        {
            var (output, next) = gru.call(embedding.call(token).unsqueeze(0), hidden);
            return (projection.call(output.squeeze(0)), next);
        }
    }

    public sealed class ChatbotTrainer
    {
        private const double Clip = 50.0;
        private readonly Encoder encoder;
        private readonly Decoder decoder;
        private readonly optim.Optimizer encoderOptimizer;
        private readonly optim.Optimizer decoderOptimizer;

        public ChatbotTrainer(Encoder encoder, Decoder decoder)
        {
            this.encoder = encoder;
            this.decoder = decoder;
            encoderOptimizer = optim.Adam(encoder.parameters(), 1e-4);
            decoderOptimizer = optim.Adam(decoder.parameters(), 5e-4);
        }

        public float Step(Tensor question, Tensor answer)
        {
            using var scope = NewDisposeScope();
            encoderOptimizer.zero_grad();
            decoderOptimizer.zero_grad();
            var (_, hidden) = encoder.call(question);
            var token = answer[0];
            var loss = zeros(1);
            for (long t = 1; t < answer.shape[0]; t++)
            {
                var (logits, next) = decoder.call(token, hidden);
                hidden = next;
                loss = loss + functional.cross_entropy(logits, answer[t]);
                token = logits.argmax(-1).detach();
            }

            loss.backward();
            nn.utils.clip_grad_norm_(encoder.parameters(), Clip);
            nn.utils.clip_grad_norm_(decoder.parameters(), Clip);
            encoderOptimizer.step();
            decoderOptimizer.step();
            return loss.item<float>();
        }
    }
}
