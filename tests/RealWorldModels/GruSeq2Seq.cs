// expect: GG0006@28,28,61,62,62,62,65,66
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.GruSeq2Seq;

/// <summary>
/// A GRU encoder-decoder with additive attention, as in translation tutorials: the decoder runs one step at a time
/// in a loop over the target length and stacks its outputs; attention weights come from a tanh layer and a softmax.
/// </summary>
public sealed class Encoder : Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly GRU gru;

    public Encoder(long vocabulary, long hidden) : base(nameof(Encoder))
    {
        embedding = Embedding(vocabulary, hidden);
        gru = GRU(hidden, hidden, batchFirst: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (output, _) = gru.forward(embedding.forward(input));
        return output;
    }
}

public sealed class AttentionDecoder : Module<Tensor, Tensor, Tensor>
{
    private const int MaxLength = 20;

    private readonly Embedding embedding;
    private readonly Linear attentionQuery;
    private readonly Linear attentionKey;
    private readonly Linear attentionScore;
    private readonly GRU gru;
    private readonly Linear output;

    public AttentionDecoder(long hidden, long vocabulary) : base(nameof(AttentionDecoder))
    {
        embedding = Embedding(vocabulary, hidden);
        attentionQuery = Linear(hidden, hidden);
        attentionKey = Linear(hidden, hidden);
        attentionScore = Linear(hidden, 1);
        gru = GRU(2 * hidden, hidden, batchFirst: true);
        output = Linear(hidden, vocabulary);
        RegisterComponents();
    }

    public override Tensor forward(Tensor encoded, Tensor start)
    {
        var steps = new List<Tensor>();
        var input = start;
        for (var step = 0; step < MaxLength; step++)
        {
            var query = embedding.forward(input);
            var scores = attentionScore.forward(torch.tanh(attentionQuery.forward(query) + attentionKey.forward(encoded)));
            var weights = functional.softmax(scores.squeeze(-1), -1).unsqueeze(1);
            var context = weights.bmm(encoded);
            var (result, _) = gru.forward(torch.cat(new[] { query, context }, 2));
            var logits = output.forward(result);
            steps.Add(logits);
            input = logits.argmax(-1).detach();
        }

        return torch.cat(steps, 1);
    }
}
