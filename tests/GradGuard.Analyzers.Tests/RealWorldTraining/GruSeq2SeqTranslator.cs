// expect: GG0004 GG0004
// An encoder-decoder translator with GRUs (the seq2seq tutorial's shape): two optimizers, a decoder unrolled over the
// target with teacher forcing, and no clipping, although the recurrences run over whole sentences.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Translation
{
    public sealed class EncoderRnn : Module<Tensor, Tensor, (Tensor, Tensor)>
    {
        private readonly Embedding embedding;
        private readonly GRU gru;

        public EncoderRnn(long inputSize, long hiddenSize) : base(nameof(EncoderRnn))
        {
            embedding = Embedding(inputSize, hiddenSize);
            gru = GRU(hiddenSize, hiddenSize);
            RegisterComponents();
        }

        public override (Tensor, Tensor) forward(Tensor input, Tensor hidden) =>
            gru.call(embedding.call(input).view(1, 1, -1), hidden);
    }

    public sealed class DecoderRnn : Module<Tensor, Tensor, (Tensor, Tensor)>
    {
        private readonly Embedding embedding;
        private readonly GRU gru;
        private readonly Linear output;

        public DecoderRnn(long hiddenSize, long outputSize) : base(nameof(DecoderRnn))
        {
            embedding = Embedding(outputSize, hiddenSize);
            gru = GRU(hiddenSize, hiddenSize);
            output = Linear(hiddenSize, outputSize);
            RegisterComponents();
        }

        public override (Tensor, Tensor) forward(Tensor input, Tensor hidden)
        {
            var embedded = functional.relu(embedding.call(input).view(1, 1, -1));
            var (decoded, nextHidden) = gru.call(embedded, hidden);
            return (functional.log_softmax(output.call(decoded[0]), 1), nextHidden);
        }
    }

    public static class TranslatorTraining
    {
        public static double TrainPair(
            Tensor source, Tensor target, EncoderRnn encoder, DecoderRnn decoder,
            optim.Optimizer encoderOptimizer, optim.Optimizer decoderOptimizer, long hiddenSize)
        {
            encoderOptimizer.zero_grad();
            decoderOptimizer.zero_grad();
            var hidden = zeros(1, 1, hiddenSize);
            for (long i = 0; i < source.shape[0]; i++)
            {
                (_, hidden) = encoder.call(source[i], hidden);
            }

            var decoderInput = tensor(new long[] { 0 });
            var loss = zeros(1);
            for (long i = 0; i < target.shape[0]; i++)
            {
                var (prediction, nextHidden) = decoder.call(decoderInput, hidden);
                hidden = nextHidden;
                loss = loss + functional.nll_loss(prediction, target[i]);
                decoderInput = target[i];
            }

            loss.backward();
            encoderOptimizer.step();
            decoderOptimizer.step();
            return loss.item<float>() / target.shape[0];
        }

        public static void Train(EncoderRnn encoder, DecoderRnn decoder, (Tensor Source, Tensor Target)[] pairs, long hiddenSize)
        {
            var encoderOptimizer = optim.SGD(encoder.parameters(), 0.01);
            var decoderOptimizer = optim.SGD(decoder.parameters(), 0.01);
            foreach (var (source, target) in pairs)
            {
                TrainPair(source, target, encoder, decoder, encoderOptimizer, decoderOptimizer, hiddenSize);
            }
        }
    }
}
