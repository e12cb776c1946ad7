// expect: GG0005@31
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DeepMlpStandardNormal;

/// <summary>
/// A tabular-data MLP from a from-scratch tutorial, built by a helper as a <c>Sequential</c> of named layers: six
/// 256-wide hidden layers whose weights are drawn with the tensor's <c>normal_()</c> and its defaults, N(0, 1), "like
/// numpy's randn". Before ReLU each layer multiplies the variance by 1 · 256 / 2 = 128, six of them by 4·10¹²:
/// activations overflow and the first step explodes. The output layer keeps TorchSharp's default init, which ends the
/// run.
/// </summary>
public static class TabularMlp
{
    public static Module<Tensor, Tensor> Build(long features = 256, int depth = 6, long classes = 2)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        using (no_grad())
        {
            for (var i = 0; i < depth; i++)
            {
                var dense = Linear(features, features);
                if (dense.bias is { } bias)
                {
                    bias.zero_();
                }

                dense.weight.normal_();
                layers.Add(($"dense{i}", dense));
                layers.Add(($"relu{i}", ReLU()));
            }
        }

        layers.Add(("output", Linear(features, classes)));
        return Sequential(layers);
    }
}
