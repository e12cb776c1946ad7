using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>GG0007: the hidden layers live in a List, which RegisterComponents() does not register.</summary>
public sealed class ListOfLayers : nn.Module<Tensor, Tensor>
{
    private readonly List<Linear> hidden = new();
    private readonly Linear output = nn.Linear(64, 1);

    public ListOfLayers(int depth) : base(nameof(ListOfLayers))
    {
        for (int i = 0; i < depth; i++)
        {
            hidden.Add(nn.Linear(64, 64));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in hidden)
        {
            x = nn.functional.gelu(layer.call(x));
        }

        return output.call(x);
    }
}

/// <summary>GG0007: no RegisterComponents(), so the optimizer below is built over no parameters at all.</summary>
public sealed class ForgotToRegister : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = nn.Linear(16, 16);
    private readonly Linear fc2 = nn.Linear(16, 1);

    public ForgotToRegister() : base(nameof(ForgotToRegister))
    {
    }

    public override Tensor forward(Tensor x) => fc2.call(nn.functional.gelu(fc1.call(x)));

    public static optim.Optimizer Optimizer(ForgotToRegister model) => optim.Adam(model.parameters());
}
