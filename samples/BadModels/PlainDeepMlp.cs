using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>GG0003 and GG0002: fifty Linear+ReLU layers with no skip connection and default init.</summary>
public static class PlainDeepMlp
{
    public const int Depth = 50;

    public static Sequential Build()
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < Depth; i++)
        {
            layers.Add(nn.Linear(128, 128));
            layers.Add(nn.ReLU());
        }

        layers.Add(nn.Linear(128, 10));
        return nn.Sequential(layers);
    }
}
