using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>GG0002: ReLU layers left at TorchSharp's default init, a sixth of the variance ReLU needs.</summary>
public sealed class DefaultInitReluNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear input;
    private readonly Linear hidden;
    private readonly Linear output;
    private readonly Linear head;

    public DefaultInitReluNet() : base(nameof(DefaultInitReluNet))
    {
        input = nn.Linear(784, 512);
        hidden = nn.Linear(512, 512);
        output = nn.Linear(512, 256);
        head = nn.Linear(256, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.relu(input.forward(x));
        h = nn.functional.relu(hidden.forward(h));
        h = output.forward(h).relu();
        return head.forward(h);
    }
}
