// expect: GG0002@19,20,21,22 GG0006@35,36,37,38,39
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.XavierReluMlp;

/// <summary>
/// An MLP initialised with Xavier (Glorot) uniform throughout, the habit carried over from tanh networks: with ReLU
/// it gives half the variance each layer needs.
/// </summary>
public sealed class RegressionNet : Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2, fc3, fc4, output;

    public RegressionNet(long inputs) : base(nameof(RegressionNet))
    {
        fc1 = Linear(inputs, 512);
        fc2 = Linear(512, 256);
        fc3 = Linear(256, 128);
        fc4 = Linear(128, 64);
        output = Linear(64, 1);
        foreach (var layer in new[] { fc1, fc2, fc3, fc4, output })
        {
            init.xavier_uniform_(layer.weight);
            init.zeros_(layer.bias);
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = functional.relu(fc1.forward(x));
        x = functional.relu(fc2.forward(x));
        x = functional.relu(fc3.forward(x));
        x = functional.relu(fc4.forward(x));
        return output.forward(x);
    }
}
