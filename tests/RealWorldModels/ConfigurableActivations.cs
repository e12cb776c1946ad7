// expect: GG0001@28 GG0002@38 GG0006@48
using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ConfigurableActivations;

/// <summary>
/// An MLP whose hidden widths and activation come from the constructor, with the activation picked by a switch
/// expression on its name. The program builds it twice: with tanh (a saturating stack) and with ReLU (default init).
/// </summary>
public static class Activations
{
    public static Module<Tensor, Tensor> Create(string name) => name switch
    {
        "relu" => ReLU(),
        "tanh" => Tanh(),
        "sigmoid" => Sigmoid(),
        "gelu" => GELU(),
        _ => throw new ArgumentException($"unknown activation {name}"),
    };
}

public sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public Mlp(long inputs, long[] hidden, long outputs, string activation) : base(nameof(Mlp))
    {
        var modules = new List<Module<Tensor, Tensor>>();
        var width = inputs;
        foreach (var size in hidden)
        {
            modules.Add(Linear(width, size));
            modules.Add(Activations.Create(activation));
            width = size;
        }

        modules.Add(Linear(width, outputs));
        layers = Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.forward(x);
}

public static class Program
{
    public static void Main()
    {
        var smooth = new Mlp(20, new long[] { 128, 128, 128, 128 }, 1, "tanh");
        var rectified = new Mlp(20, new long[] { 256, 256, 256 }, 1, "relu");
        Console.WriteLine($"{smooth.parameters().Count()} {rectified.parameters().Count()}");
    }
}
