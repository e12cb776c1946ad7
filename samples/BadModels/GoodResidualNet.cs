using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>
/// The fix for GG0001-GG0003: ReLU, He init and a skip connection around every block, with every layer called through
/// call(), so its hooks run (GG0006). No diagnostics.
/// </summary>
public sealed class GoodResidualNet : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResidualBlock> blocks = new();
    private readonly Linear head = nn.Linear(128, 10);

    public GoodResidualNet() : base(nameof(GoodResidualNet))
    {
        for (int i = 0; i < 50; i++)
        {
            blocks.Add(new ResidualBlock(128));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var block in blocks)
        {
            x = block.call(x);
        }

        return head.call(x);
    }
}

/// <summary>x + f(x): the identity path carries the gradient past f.</summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Linear first;
    private readonly Linear second;
    private readonly LayerNorm norm;

    public ResidualBlock(int width) : base(nameof(ResidualBlock))
    {
        first = nn.Linear(width, width);
        second = nn.Linear(width, width);
        norm = nn.LayerNorm(width);
        using (no_grad())
        {
            nn.init.kaiming_normal_(first.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
            nn.init.kaiming_normal_(second.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x + second.call(nn.functional.relu(first.call(norm.call(x)))).relu();
}
