// expect: GG0005@26
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DeepMlpStandardNormal;

/// <summary>
/// A tabular-data MLP from a from-scratch tutorial: six 256-wide hidden layers whose weights are drawn from the
/// tensor's <c>normal_()</c> with its defaults, N(0, 1), "like numpy's randn". Before ReLU each layer multiplies the
/// variance by 1 · 256 / 2 = 128, six of them by 4·10¹²: activations overflow and the first step explodes. The output
/// layer keeps TorchSharp's default init, which ends the run.
/// </summary>
public sealed class TabularMlp : Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> hidden = new();
    private readonly Linear output;

    public TabularMlp(long width = 256, int depth = 6, long classes = 2) : base(nameof(TabularMlp))
    {
        using var _ = no_grad();
        for (var i = 0; i < depth; i++)
        {
            var layer = Linear(width, width);
            layer.weight.normal_();
            layer.bias!.zero_();
            hidden.Add(layer);
        }

        output = Linear(width, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in hidden)
        {
            x = functional.relu(layer.call(x));
        }

        return output.call(x);
    }
}
