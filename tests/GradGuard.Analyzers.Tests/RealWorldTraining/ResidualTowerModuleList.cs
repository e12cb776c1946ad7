// expect: none
// Pre-activation residual blocks kept in a ModuleList built in a loop, the way TorchVision-style models hold stages.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Residual
{
    internal sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm;
        private readonly Linear first;
        private readonly Linear second;

        public ResidualBlock(long width) : base(nameof(ResidualBlock))
        {
            norm = LayerNorm(width);
            first = Linear(width, width * 4);
            second = Linear(width * 4, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x + second.call(functional.gelu(first.call(norm.call(x))));
    }

    internal sealed class Tower : Module<Tensor, Tensor>
    {
        private readonly Linear stem;
        private readonly ModuleList<ResidualBlock> blocks = new();
        private readonly Linear head;

        public Tower(long inputs, long width, int depth, long outputs) : base(nameof(Tower))
        {
            stem = Linear(inputs, width);
            for (int i = 0; i < depth; i++)
            {
                blocks.Add(new ResidualBlock(width));
            }

            head = Linear(width, outputs);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = stem.call(x);
            foreach (var block in blocks)
            {
                x = block.call(x);
            }

            return head.call(x);
        }
    }

    internal static class Program
    {
        private static void Main()
        {
            var model = new Tower(16, 64, depth: 12, outputs: 1);
            var optimizer = optim.AdamW(model.parameters());
            var x = randn(128, 16);
            var y = randn(128, 1);
            for (int step = 0; step < 100; step++)
            {
                optimizer.zero_grad();
                functional.mse_loss(model.call(x), y).backward();
                optimizer.step();
            }
        }
    }
}
