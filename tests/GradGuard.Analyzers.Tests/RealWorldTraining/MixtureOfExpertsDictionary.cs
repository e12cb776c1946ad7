// expect: GG0007
// A mixture of experts whose experts live in a Dictionary keyed by name: the gate is registered, the experts are not.
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Experts
{
    public sealed class MixtureOfExperts : Module<Tensor, Tensor>
    {
        private readonly Linear gate;
        private readonly Dictionary<string, Module<Tensor, Tensor>> experts = new();
        private readonly string[] names;

        public MixtureOfExperts(long width, string[] names) : base(nameof(MixtureOfExperts))
        {
            this.names = names;
            gate = Linear(width, names.Length);
            foreach (var name in names)
            {
                experts[name] = Sequential(Linear(width, width), GELU(), Linear(width, width));
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var weights = functional.softmax(gate.call(x), -1);
            var mixed = zeros_like(x);
            for (int i = 0; i < names.Length; i++)
            {
                mixed = mixed + weights[.., i..(i + 1)] * experts[names[i]].call(x);
            }

            return mixed;
        }
    }
}
