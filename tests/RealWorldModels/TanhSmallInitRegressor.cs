// expect: GG0005@26
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.TanhSmallInitRegressor;

/// <summary>
/// A function-approximation net from a physics tutorial: three 64-wide tanh layers, every weight drawn from
/// N(0, 0.01) "to start near the linear regime". Tanh's slope is 1 there, so each layer scales the variance by
/// 0.01² · 64 = 0.0064, the three hidden layers and the output layer by 2·10⁻⁹: the gradient never reaches the input.
/// </summary>
public sealed class Regressor : Module<Tensor, Tensor>
{
    private readonly Sequential net;

    public Regressor(long inputs = 64, long width = 64) : base(nameof(Regressor))
    {
        net = Sequential(Linear(inputs, width), Tanh(), Linear(width, width), Tanh(), Linear(width, width), Tanh(), Linear(width, 1));
        RegisterComponents();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("weight"))
            {
                init.normal_(parameter, 0, 0.01);
            }
            else
            {
                init.zeros_(parameter);
            }
        }
    }

    public override Tensor forward(Tensor x) => net.call(x);
}
