// expect: GG0002@23 GG0003@28
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DeepPlainMlp;

/// <summary>
/// The plain deep MLP of gradient-flow experiments: thirty Linear + ReLU layers built in a loop from a constant,
/// default init, no normalisation, no shortcut. Both its init and its depth make the first layers' gradient vanish.
/// </summary>
public static class Experiment
{
    public const int Depth = 30;

    public static Sequential Build(int width = 128)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        for (int i = 0; i < Depth; i++)
        {
            layers.Add(Linear(width, width));
            layers.Add(ReLU());
        }

        layers.Add(Linear(width, 10));
        return Sequential(layers);
    }

    public static void Main()
    {
        var model = Build();
        var optimizer = optim.SGD(model.parameters(), 0.01);
        optimizer.zero_grad();
    }
}
