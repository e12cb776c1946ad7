// expect: GG0003@14 GG0006@35
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.DeepLayerNormStack;

/// <summary>
/// A deep tabular network that normalises every layer and uses GELU, but has no shortcuts: normalisation keeps each
/// layer's scale, yet 24 weight layers in a row still degrade. GG0003 only.
/// </summary>
public sealed class NormalizedMlp : Module<Tensor, Tensor>
{
    private readonly Sequential body;

    public NormalizedMlp(long features = 64, long width = 256, int depth = 24) : base(nameof(NormalizedMlp))
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var inputs = features;
        for (var i = 0; i < depth; i++)
        {
            layers.Add(($"linear{i}", Linear(inputs, width)));
            layers.Add(($"norm{i}", LayerNorm(width)));
            layers.Add(($"act{i}", GELU()));
            inputs = width;
        }

        layers.Add(("head", Linear(width, 1)));
        body = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => body.forward(x);
}
