// expect: GG0007
// A shared trunk with one head per task, the heads kept in a List: RegisterComponents() registers the trunk but not the
// heads, so the optimizer built from parameters() never trains them.
using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MultiTask
{
    public sealed class MultiTaskNet : Module<Tensor, Tensor[]>
    {
        private readonly Sequential trunk;
        private readonly List<Linear> heads = new List<Linear>();

        public MultiTaskNet(long inputs, long hidden, IReadOnlyList<long> taskOutputs) : base(nameof(MultiTaskNet))
        {
            trunk = Sequential(Linear(inputs, hidden), ReLU(), Linear(hidden, hidden), ReLU());
            foreach (var outputs in taskOutputs)
            {
                heads.Add(Linear(hidden, outputs));
            }

            RegisterComponents();
        }

        public override Tensor[] forward(Tensor x)
        {
            var features = trunk.call(x);
            return heads.Select(head => head.call(features)).ToArray();
        }
    }

    public static class MultiTaskTraining
    {
        public static void Train(MultiTaskNet model, Tensor x, Tensor[] targets)
        {
            var optimizer = optim.Adam(model.parameters(), 1e-3);
            for (int step = 0; step < 200; step++)
            {
                optimizer.zero_grad();
                var outputs = model.call(x);
                var loss = outputs.Zip(targets, (output, target) => functional.mse_loss(output, target)).Aggregate((a, b) => a + b);
                loss.backward();
                optimizer.step();
            }
        }
    }
}
