// expect: GG0006@47,48,49
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.CrnnRecognizer;

/// <summary>
/// A CRNN text recogniser: a VGG-style convolutional stack with batch norm on every other layer, squeezed to a
/// sequence, two bidirectional LSTMs and a linear layer scoring characters for CTC.
/// </summary>
public sealed class Crnn : Module<Tensor, Tensor>
{
    private readonly Sequential cnn;
    private readonly LSTM rnn;
    private readonly Linear embedding;

    public Crnn(long channels = 1, long classes = 37, long hidden = 256) : base(nameof(Crnn))
    {
        var kernels = new long[] { 3, 3, 3, 3, 3, 3, 2 };
        var widths = new long[] { 64, 128, 256, 256, 512, 512, 512 };
        cnn = Sequential();
        for (var i = 0; i < widths.Length; i++)
        {
            var input = i == 0 ? channels : widths[i - 1];
            cnn.append($"conv{i}", Conv2d(input, widths[i], kernels[i], padding: kernels[i] == 3 ? 1 : 0));
            if (i % 2 == 0 || i == widths.Length - 1)
            {
                cnn.append($"bn{i}", BatchNorm2d(widths[i]));
            }

            cnn.append($"relu{i}", ReLU(true));
            if (i is 0 or 1)
            {
                cnn.append($"pool{i}", MaxPool2d(2, 2));
            }
        }

        rnn = LSTM(512, hidden, 2, bidirectional: true);
        embedding = Linear(hidden * 2, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var features = cnn.forward(input).squeeze(2).permute(2, 0, 1);
        var (sequence, _, _) = rnn.forward(features);
        return embedding.forward(sequence);
    }
}
