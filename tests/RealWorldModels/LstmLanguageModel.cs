// expect: GG0006@31,31,32,33,33
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.LstmLanguageModel;

/// <summary>A two-layer LSTM language model with tied dropout and a linear decoder: recurrent, shallow in weight layers.</summary>
public sealed class RnnModel : Module<Tensor, Tensor>
{
    private readonly Embedding encoder;
    private readonly LSTM rnn;
    private readonly Dropout drop;
    private readonly Linear decoder;

    public RnnModel(long tokens, long inputs = 650, long hidden = 650, long layers = 2, double dropout = 0.5) : base(nameof(RnnModel))
    {
        drop = Dropout(dropout);
        encoder = Embedding(tokens, inputs);
        rnn = LSTM(inputs, hidden, layers, dropout: dropout);
        decoder = Linear(hidden, tokens);
        RegisterComponents();
        init.uniform_(encoder.weight, -0.1, 0.1);
        init.zeros_(decoder.bias);
        init.uniform_(decoder.weight, -0.1, 0.1);
    }

    public override Tensor forward(Tensor input)
    {
        var embedded = drop.forward(encoder.forward(input));
        var (output, _, _) = rnn.forward(embedded);
        return decoder.forward(drop.forward(output));
    }
}
