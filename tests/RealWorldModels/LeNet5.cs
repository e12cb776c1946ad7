// expect: GG0001@13 GG0006@26,26,27,27,29,30,31
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.LeNet5;

/// <summary>
/// LeNet-5 as published: two convolutions and three fully connected layers with tanh after each hidden one, average
/// pooling between. Four tanh layers in a row, each shrinking the gradient once its units leave zero.
/// </summary>
public sealed class LeNet5 : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = Conv2d(1, 6, 5, padding: 2);
    private readonly Conv2d conv2 = Conv2d(6, 16, 5);
    private readonly AvgPool2d pool = AvgPool2d(2);
    private readonly Linear fc1 = Linear(16 * 5 * 5, 120);
    private readonly Linear fc2 = Linear(120, 84);
    private readonly Linear fc3 = Linear(84, 10);

    public LeNet5() : base(nameof(LeNet5)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        x = pool.forward(torch.tanh(conv1.forward(x)));
        x = pool.forward(torch.tanh(conv2.forward(x)));
        x = x.flatten(1);
        x = torch.tanh(fc1.forward(x));
        x = torch.tanh(fc2.forward(x));
        return fc3.forward(x);
    }
}
