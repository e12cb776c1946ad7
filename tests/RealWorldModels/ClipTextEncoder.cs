// expect: GG0006@52,53,54,56,61,62,62,108,111,114,114
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ClipTextEncoder;

/// <summary>
/// CLIP's text transformer: pre-norm residual attention blocks whose MLP uses QuickGELU, the residual stream updated
/// in place with <c>x += ...</c>, and the blocks' parameters drawn from normal distributions scaled by width and depth.
/// Twelve blocks of 48 linear layers in all, and every one of them sits on a residual branch.
/// </summary>
public sealed class QuickGelu : Module<Tensor, Tensor>
{
    public QuickGelu() : base(nameof(QuickGelu))
    {
    }

    public override Tensor forward(Tensor x) => x * torch.sigmoid(1.702 * x);
}

public sealed class ResidualAttentionBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln1;
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear project;
    private readonly LayerNorm ln2;
    private readonly Sequential mlp;
    private readonly long heads;

    public ResidualAttentionBlock(long width, long heads) : base(nameof(ResidualAttentionBlock))
    {
        this.heads = heads;
        ln1 = LayerNorm(width);
        query = Linear(width, width);
        key = Linear(width, width);
        value = Linear(width, width);
        project = Linear(width, width);
        ln2 = LayerNorm(width);
        mlp = Sequential(("c_fc", Linear(width, width * 4)), ("gelu", new QuickGelu()), ("c_proj", Linear(width * 4, width)));
        RegisterComponents();
    }

    public Linear FeedForwardOut => (Linear)mlp[2];

    private Tensor Attention(Tensor x)
    {
        var q = query.forward(x);
        var k = key.forward(x);
        var v = value.forward(x);
        var scores = functional.softmax(q.matmul(k.transpose(-2, -1)) / Math.Sqrt(x.shape[^1] / heads), -1);
        return project.forward(scores.matmul(v));
    }

    public override Tensor forward(Tensor x)
    {
        x += Attention(ln1.forward(x));
        x += mlp.forward(ln2.forward(x));
        return x;
    }
}

public sealed class TextTransformer : Module<Tensor, Tensor>
{
    private readonly Embedding tokens;
    private readonly ModuleList<ResidualAttentionBlock> blocks = new();
    private readonly LayerNorm final;
    private readonly Linear projection;

    public TextTransformer(long vocabulary = 49408, long width = 512, int layers = 12, long heads = 8, long embed = 512) : base(nameof(TextTransformer))
    {
        tokens = Embedding(vocabulary, width);
        for (var i = 0; i < layers; i++)
        {
            blocks.Add(new ResidualAttentionBlock(width, heads));
        }

        final = LayerNorm(width);
        projection = Linear(width, embed, hasBias: false);
        RegisterComponents();

        using var _ = no_grad();
        var attentionStd = Math.Pow(width, -0.5);
        var projectionStd = attentionStd * Math.Pow(2 * layers, -0.5);
        init.normal_(tokens.weight, std: 0.02);
        foreach (var block in blocks)
        {
            foreach (var (name, parameter) in block.named_parameters())
            {
                if (name.EndsWith("weight") && parameter.dim() > 1)
                {
                    init.normal_(parameter, std: attentionStd);
                }
            }

            init.normal_(block.FeedForwardOut.weight, std: projectionStd);
        }

        init.normal_(projection.weight, std: attentionStd);
    }

    public override Tensor forward(Tensor text)
    {
        var x = tokens.forward(text);
        foreach (var block in blocks)
        {
            x = block.forward(x);
        }

        return projection.forward(final.forward(x));
    }
}
