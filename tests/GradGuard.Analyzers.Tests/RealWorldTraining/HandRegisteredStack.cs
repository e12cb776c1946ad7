// expect: none
// A stack whose hidden layers are kept in a List but registered one by one with register_module, as code ported from
// Python's add_module often does; a list of its own registered fields kept for iteration; the class used as a root.
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Ported
{
    public sealed class HandRegisteredStack : Module<Tensor, Tensor>
    {
        private readonly Linear input;
        private readonly Linear output;
        private readonly List<Linear> hidden = new();
        private readonly List<Linear> ends;

        public HandRegisteredStack(long width, int depth) : base(nameof(HandRegisteredStack))
        {
            input = Linear(width, width);
            output = Linear(width, 1);
            register_module("input", input);
            for (int i = 0; i < depth; i++)
            {
                var layer = Linear(width, width);
                hidden.Add(layer);
                register_module($"hidden{i}", layer);
            }

            register_module("output", output);
            ends = new List<Linear> { input, output };
        }

        public override Tensor forward(Tensor x)
        {
            x = functional.silu(input.call(x));
            foreach (var layer in hidden)
            {
                x = x + functional.silu(layer.call(x));
            }

            return output.call(x);
        }

        public IEnumerable<Linear> Ends => ends;
    }

    public static class Program
    {
        public static void Main()
        {
            var model = new HandRegisteredStack(32, 4);
            var optimizer = optim.SGD(model.parameters(), 0.01);
            functional.mse_loss(model.call(randn(8, 32)), randn(8, 1)).backward();
            optimizer.step();
        }
    }
}
