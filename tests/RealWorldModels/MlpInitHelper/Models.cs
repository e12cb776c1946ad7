// expect: GG0006@30
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MlpInitHelper;

/// <summary>
/// A tabular-data MLP of six ReLU layers whose He init lives in a helper class of another file, called by the
/// trainer that builds the model.
/// </summary>
public sealed class TabularMlp : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public TabularMlp(long features, long hidden, long classes) : base(nameof(TabularMlp))
    {
        layers = Sequential(
            Linear(features, hidden), ReLU(), Dropout(0.1),
            Linear(hidden, hidden), ReLU(), Dropout(0.1),
            Linear(hidden, hidden), ReLU(), Dropout(0.1),
            Linear(hidden, hidden), ReLU(), Dropout(0.1),
            Linear(hidden, hidden), ReLU(),
            Linear(hidden, hidden), ReLU(),
            Linear(hidden, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.forward(x);
}
