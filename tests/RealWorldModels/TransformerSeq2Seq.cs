// expect: GG0006@32,61,62,63
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.TransformerSeq2Seq;

/// <summary>
/// The word-level language model of the TorchSharp examples: an embedding, a sinusoidal positional encoding, a stack
/// of TorchSharp's own transformer encoder layers, and a linear decoder drawn from U(-0.1, 0.1); the forward takes the
/// source and a mask.
/// </summary>
public sealed class PositionalEncoding : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> dropout;
    private readonly Tensor pe;

    public PositionalEncoding(long width, double dropoutRate, long maxLength = 5000) : base(nameof(PositionalEncoding))
    {
        dropout = Dropout(dropoutRate);
        var position = arange(0, maxLength, 1).unsqueeze(1);
        var divTerm = (arange(0, width, 2) * (-Math.Log(10000.0) / width)).exp();
        pe = zeros(maxLength, width);
        pe[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)] = (position * divTerm).sin();
        pe[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)] = (position * divTerm).cos();
        pe = pe.unsqueeze(0).transpose(0, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dropout.forward(x + pe[TensorIndex.Slice(null, x.shape[0]), TensorIndex.Slice()]);
}

public sealed class TransformerModel : Module<Tensor, Tensor, Tensor>
{
    private readonly TransformerEncoder encoder;
    private readonly PositionalEncoding positions;
    private readonly Embedding embedding;
    private readonly Linear decoder;
    private readonly long width;

    public TransformerModel(long tokens, long width, long heads, long hidden, long layers, double dropout = 0.5) : base(nameof(TransformerModel))
    {
        this.width = width;
        positions = new PositionalEncoding(width, dropout);
        var layer = TransformerEncoderLayer(width, heads, hidden, dropout);
        encoder = TransformerEncoder(layer, layers);
        embedding = Embedding(tokens, width);
        decoder = Linear(width, tokens);
        RegisterComponents();

        const double range = 0.1;
        init.uniform_(embedding.weight, -range, range);
        init.zeros_(decoder.bias);
        init.uniform_(decoder.weight, -range, range);
    }

    public override Tensor forward(Tensor source, Tensor mask)
    {
        var x = embedding.forward(source) * Math.Sqrt(width);
        x = positions.forward(x);
        return decoder.forward(encoder.call(x, mask));
    }
}
