// expect: GG0001@33 GG0002@37
using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.LambdaBuilders;

/// <summary>
/// Networks put together by lambdas and local functions: a block factory held in a <c>Func</c>, a local function
/// that stacks blocks, <c>Enumerable.Range(...).Select(...)</c> building the list.
/// </summary>
public static class Builders
{
    public static Sequential SaturatingTower(int depth = 6, long width = 64)
    {
        Func<long, Module<Tensor, Tensor>> block = w => Sequential(Linear(w, w), Tanh());

        Sequential Stack(int count)
        {
            var blocks = new List<Module<Tensor, Tensor>>();
            for (var i = 0; i < count; i++)
            {
                blocks.Add(block(width));
            }

            return Sequential(blocks);
        }

        return Sequential(Stack(depth), Linear(width, 1));
    }

    public static Sequential ReluTower(long width = 32) =>
        Sequential(Enumerable.Range(0, 4).Select(_ => (Module<Tensor, Tensor>)Sequential(Linear(width, width), ReLU())).ToArray());
}
