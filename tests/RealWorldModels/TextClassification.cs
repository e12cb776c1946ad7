// expect: GG0006@31
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.TextClassification;

/// <summary>AG News classification: a bag of embeddings averaged per text and one linear layer, both drawn from U(-0.5, 0.5).</summary>
public sealed class TextClassifier : Module<Tensor, Tensor, Tensor>
{
    private readonly EmbeddingBag embedding;
    private readonly Linear fc;

    public TextClassifier(long vocabulary, long width, long classes) : base(nameof(TextClassifier))
    {
        embedding = EmbeddingBag(vocabulary, width, sparse: false);
        fc = Linear(width, classes);
        InitWeights();
        RegisterComponents();
    }

    private void InitWeights()
    {
        const double range = 0.5;
        init.uniform_(embedding.weight, -range, range);
        init.uniform_(fc.weight, -range, range);
        init.zeros_(fc.bias);
    }

    public override Tensor forward(Tensor text, Tensor offsets) => fc.forward(embedding.call(text, offsets));
}
