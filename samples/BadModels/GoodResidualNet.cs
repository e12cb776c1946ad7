using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>The fix for all three: ReLU, He init and a skip connection around every block. No warnings.</summary>
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
            x = block.forward(x);
        }

        return head.forward(x);
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

    public override Tensor forward(Tensor x) => x + second.forward(nn.functional.relu(first.forward(norm.forward(x)))).relu();
}
