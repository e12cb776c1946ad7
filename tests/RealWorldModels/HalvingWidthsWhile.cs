// expect: GG0001@27
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.HalvingWidthsWhile;

/// <summary>
/// A funnel of sigmoid layers built with a while loop that halves the width until it reaches the code size:
/// 1024 → 512 → ... → 32, five sigmoids in a row before the output layer.
/// </summary>
public static class Funnel
{
    public static Sequential Build(long input = 1024, long code = 32)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        var width = input;
        while (width > code)
        {
            layers.Add(Linear(width, width / 2));
            layers.Add(Sigmoid());
            width /= 2;
        }

        return Sequential(layers.ToArray());
    }
}
