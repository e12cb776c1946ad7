// expect: GG0003@34
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DeepMlpHeViaApply;

/// <summary>
/// The same thirty-layer MLP, He-initialised by <c>model.apply(InitWeights)</c> in the program that builds it: the
/// init is right, the depth is still too much without shortcuts.
/// </summary>
public static class Experiment
{
    private static void InitWeights(Module module)
    {
        if (module is Linear linear)
        {
            init.kaiming_normal_(linear.weight, nonlinearity: init.NonlinearityType.ReLU);
            init.zeros_(linear.bias);
        }
    }

    public static Sequential Build(int depth, int width)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        for (int i = 0; i < depth; i++)
        {
            layers.Add(($"fc{i}", Linear(width, width)));
            layers.Add(($"relu{i}", ReLU()));
        }

        return Sequential(layers);
    }

    public static void Main()
    {
        var model = Build(30, 64);
        using (no_grad())
        {
            model.apply(InitWeights);
        }
    }
}
