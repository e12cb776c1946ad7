// expect: GG0006@34,37,40,58,59
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ResNetPlainNoNorm;

/// <summary>
/// A 40-block residual MLP with no normalisation and TorchSharp's default init: inside each block two layers feed a
/// ReLU, and the identity carries the signal around them, so no run is long and the shortest path is one layer deep.
/// </summary>
public sealed class ResidualMlp : Module<Tensor, Tensor>
{
    private const int Blocks = 40;

    private readonly Linear input = Linear(32, 256);
    private readonly ModuleList<Module<Tensor, Tensor>> blocks = new();
    private readonly Linear head = Linear(256, 1);

    public ResidualMlp() : base(nameof(ResidualMlp))
    {
        for (var i = 0; i < Blocks; i++)
        {
            blocks.Add(new Block(256));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = input.forward(x);
        foreach (var block in blocks)
        {
            h = block.forward(h);
        }

        return head.forward(h);
    }

    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly Linear first;
        private readonly Linear second;

        public Block(int width) : base(nameof(Block))
        {
            first = Linear(width, width);
            second = Linear(width, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var residual = x;
            var h = functional.relu(first.forward(x));
            h = functional.relu(second.forward(h));
            h += residual;
            return h;
        }
    }
}
