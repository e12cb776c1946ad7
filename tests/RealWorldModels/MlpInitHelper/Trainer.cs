// expect: none
using TorchSharp;
using static TorchSharp.torch;

namespace RealWorld.MlpInitHelper;

public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly optim.Optimizer optimizer;

    public Trainer(long features, long classes)
    {
        model = new TabularMlp(features, 256, classes);
        WeightInit.He(model);
        optimizer = optim.Adam(model.parameters(), 1e-3);
    }

    public float Step(Tensor input, Tensor target)
    {
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(input), target);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }
}
