// expect: none
// Blocks that never call RegisterComponents() themselves, used only inside a parent that does: register_module
// registers each child's own fields, so nothing is lost.
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Blocks
{
    internal sealed class GatedBlock : Module<Tensor, Tensor>
    {
        private readonly Linear value;
        private readonly Linear gate;

        public GatedBlock(long width) : base(nameof(GatedBlock))
        {
            value = Linear(width, width);
            gate = Linear(width, width);
        }

        public override Tensor forward(Tensor x) => x + value.call(x) * gate.call(x).sigmoid();
    }

    internal sealed class GatedNet : Module<Tensor, Tensor>
    {
        private readonly GatedBlock first;
        private readonly GatedBlock second;
        private readonly Linear head;

        public GatedNet(long width) : base(nameof(GatedNet))
        {
            first = new GatedBlock(width);
            second = new GatedBlock(width);
            head = Linear(width, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(second.call(first.call(x)));
    }

    internal static class Program
    {
        private static void Main()
        {
            var model = new GatedNet(16);
            var optimizer = optim.RMSProp(model.parameters());
            functional.mse_loss(model.call(randn(4, 16)), randn(4, 1)).backward();
            optimizer.step();
            model.save("gated.bin");
        }
    }
}
