// expect: GG0005@25 GG0006@37,40
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ExplicitNormalInit;

/// <summary>
/// A ReLU MLP whose weights are drawn from N(0, 0.01) by hand, as old tutorials do. The scale is an explicit choice,
/// far too small here: each 512-wide layer multiplies the variance by 0.01² · 512 / 2 ≈ 0.026, five of them by 10⁻⁸.
/// GG0002 leaves it to GG0005, which judges explicit distributions by their scale and reports it on the init call.
/// </summary>
public sealed class SmallInitMlp : Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> hidden = new();
    private readonly Linear output;

    public SmallInitMlp(int depth = 5, long width = 512) : base(nameof(SmallInitMlp))
    {
        for (var i = 0; i < depth; i++)
        {
            var layer = Linear(width, width);
            layer.weight.normal_(0, 0.01);
            hidden.Add(layer);
        }

        output = Linear(width, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in hidden)
        {
            x = layer.forward(x).relu();
        }

        return output.forward(x);
    }
}
