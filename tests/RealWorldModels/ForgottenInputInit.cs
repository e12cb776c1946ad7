// expect: GG0002@23
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ForgottenInputInit;

/// <summary>
/// An MNIST MLP whose hidden layers are drawn by hand at He's scale, N(0, 2 / fan_in), in the loop that builds them,
/// while the input layer, built before the loop, keeps TorchSharp's default: a sixth of the variance ReLU needs. The
/// hand-written He layers count as He for GG0002, so the input layer is the one layer of a run of four it reports.
/// </summary>
public sealed class ForgottenInputMlp : Module<Tensor, Tensor>
{
    private readonly Linear input;
    private readonly ModuleList<Linear> hidden = new();
    private readonly Linear output;

    public ForgottenInputMlp(long width = 256, int depth = 3) : base(nameof(ForgottenInputMlp))
    {
        input = Linear(784, width);
        using (no_grad())
        {
            for (var i = 0; i < depth; i++)
            {
                var layer = Linear(width, width);
                init.normal_(layer.weight, 0.0, Math.Sqrt(2.0 / width));
                hidden.Add(layer);
            }
        }

        output = Linear(width, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = functional.relu(input.call(x.flatten(1)));
        foreach (var layer in hidden)
        {
            x = functional.relu(layer.call(x));
        }

        return output.call(x);
    }
}
