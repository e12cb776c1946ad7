// expect: none
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MlpInitHelper;

public static class WeightInit
{
    /// <summary>He init for every linear layer of a model, and zero biases.</summary>
    public static void He(Module model)
    {
        using var _ = no_grad();
        foreach (var module in model.modules())
        {
            if (module is Linear linear)
            {
                init.kaiming_uniform_(linear.weight, nonlinearity: init.NonlinearityType.ReLU);
                if (linear.bias is not null)
                {
                    init.zeros_(linear.bias);
                }
            }
        }
    }
}
