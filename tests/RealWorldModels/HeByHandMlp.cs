// expect: none
using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.HeByHandMlp;

/// <summary>
/// An MNIST MLP that writes He's initialisation out by hand, as the paper states it: N(0, 2 / fan_in) for every layer
/// before a ReLU, drawn by a helper that builds the layer, and LeCun's N(0, 1 / fan_in) for the output layer. Every
/// layer scales the variance by exactly 1.
/// </summary>
public sealed class HeMlp : Module<Tensor, Tensor>
{
    private readonly Linear input;
    private readonly Linear hidden1;
    private readonly Linear hidden2;
    private readonly Linear hidden3;
    private readonly Linear output;

    public HeMlp() : base(nameof(HeMlp))
    {
        input = Dense(784, 512, gain: 2.0);
        hidden1 = Dense(512, 512, gain: 2.0);
        hidden2 = Dense(512, 256, gain: 2.0);
        hidden3 = Dense(256, 256, gain: 2.0);
        output = Dense(256, 10, gain: 1.0);
        RegisterComponents();
    }

    private static Linear Dense(long inFeatures, long outFeatures, double gain)
    {
        var layer = Linear(inFeatures, outFeatures);
        using (no_grad())
        {
            init.normal_(layer.weight, 0, Math.Sqrt(gain / inFeatures));
            init.zeros_(layer.bias);
        }

        return layer;
    }

    public override Tensor forward(Tensor x)
    {
        x = functional.relu(input.call(x.flatten(1)));
        x = functional.relu(hidden1.call(x));
        x = functional.relu(hidden2.call(x));
        x = functional.relu(hidden3.call(x));
        return output.call(x);
    }
}
