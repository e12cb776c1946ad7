using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>
/// GG0005: weights drawn from N(0, 1) by hand. Each 512-wide layer before a ReLU multiplies the signal's variance by
/// 1 · 512 / 2 = 256, the four of them by 4·10⁹.
/// </summary>
public sealed class ExplodingInitMlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> hidden = new();
    private readonly Linear head;

    public ExplodingInitMlp() : base(nameof(ExplodingInitMlp))
    {
        using (no_grad())
        {
            for (var i = 0; i < 4; i++)
            {
                var layer = nn.Linear(512, 512);
                nn.init.normal_(layer.weight, 0, 1);
                hidden.Add(layer);
            }
        }

        head = nn.Linear(512, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in hidden)
        {
            x = nn.functional.relu(layer.call(x));
        }

        return head.call(x);
    }
}
