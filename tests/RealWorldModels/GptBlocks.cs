// expect: none
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.GptBlocks;

/// <summary>
/// A GPT-2 in nanoGPT's shape: pre-norm blocks whose attention and MLP sit on residual branches, every Linear drawn
/// from N(0, 0.02) by an <c>apply</c> callback and the residual projections from N(0, 0.02 / √(2·layers)). Each 768-wide
/// layer alone scales the variance by 0.02² · 768 ≈ 0.31 (4·768-wide: 1.2), but no two of them are ever more than a
/// branch apart: the layer norms and the residual stream reset the scale.
/// </summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    private readonly Linear attention;
    private readonly Linear projection;
    private readonly long heads;

    public CausalSelfAttention(long embed, long heads) : base(nameof(CausalSelfAttention))
    {
        this.heads = heads;
        attention = Linear(embed, 3 * embed);
        projection = Linear(embed, embed);
        RegisterComponents();
    }

    public Linear Projection => projection;

    public override Tensor forward(Tensor x)
    {
        var (batch, time, channels) = (x.shape[0], x.shape[1], x.shape[2]);
        var qkv = attention.call(x).split(channels, 2);
        var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        q = q.view(batch, time, heads, channels / heads).transpose(1, 2);
        k = k.view(batch, time, heads, channels / heads).transpose(1, 2);
        v = v.view(batch, time, heads, channels / heads).transpose(1, 2);
        var scores = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(channels / heads));
        var y = functional.softmax(scores, -1).matmul(v);
        return projection.call(y.transpose(1, 2).contiguous().view(batch, time, channels));
    }
}

public sealed class Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln1;
    private readonly CausalSelfAttention attention;
    private readonly LayerNorm ln2;
    private readonly Linear expand;
    private readonly Linear contract;

    public Block(long embed, long heads) : base(nameof(Block))
    {
        ln1 = LayerNorm(embed);
        attention = new CausalSelfAttention(embed, heads);
        ln2 = LayerNorm(embed);
        expand = Linear(embed, 4 * embed);
        contract = Linear(4 * embed, embed);
        RegisterComponents();
    }

    public Linear AttentionProjection => attention.Projection;

    public Linear MlpProjection => contract;

    public override Tensor forward(Tensor x)
    {
        x = x + attention.call(ln1.call(x));
        return x + contract.call(functional.gelu(expand.call(ln2.call(x))));
    }
}

public sealed class Gpt : Module<Tensor, Tensor>
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly ModuleList<Block> blocks = new();
    private readonly LayerNorm final;
    private readonly Linear head;

    public Gpt(long vocabulary = 50257, long context = 1024, long embed = 768, long heads = 12, int layers = 12) : base(nameof(Gpt))
    {
        tokens = Embedding(vocabulary, embed);
        positions = Embedding(context, embed);
        for (var i = 0; i < layers; i++)
        {
            blocks.Add(new Block(embed, heads));
        }

        final = LayerNorm(embed);
        head = Linear(embed, vocabulary, hasBias: false);
        RegisterComponents();

        using var _ = no_grad();
        apply(InitWeights);
        foreach (var block in blocks)
        {
            init.normal_(block.AttentionProjection.weight, 0.0, 0.02 / Math.Sqrt(2 * layers));
            init.normal_(block.MlpProjection.weight, 0.0, 0.02 / Math.Sqrt(2 * layers));
        }
    }

    private static void InitWeights(Module module)
    {
        switch (module)
        {
            case Linear linear:
                init.normal_(linear.weight, mean: 0.0, std: 0.02);
                if (linear.bias is not null)
                {
                    init.zeros_(linear.bias);
                }

                break;
            case Embedding embedding:
                init.normal_(embedding.weight, mean: 0.0, std: 0.02);
                break;
        }
    }

    public override Tensor forward(Tensor index)
    {
        var x = tokens.call(index) + positions.call(arange(index.shape[1], device: index.device));
        foreach (var block in blocks)
        {
            x = block.call(x);
        }

        return head.call(final.call(x));
    }
}
