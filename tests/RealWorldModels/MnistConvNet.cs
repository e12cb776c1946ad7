// expect: GG0002@15,16,17 GG0006@39,40,41,42,43,44,45,46,47,48,49,50
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MnistConvNet;

/// <summary>
/// The MNIST classifier of the examples: two convolutions and a hidden linear layer feeding ReLU, pooling and dropout
/// between them, default init. Three ReLU layers in a row: the shallowest run GG0002 reports.
/// </summary>
public sealed class Mnist : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1 = Conv2d(1, 32, 3);
    private readonly Module<Tensor, Tensor> conv2 = Conv2d(32, 64, 3);
    private readonly Module<Tensor, Tensor> fc1 = Linear(9216, 128);
    private readonly Module<Tensor, Tensor> fc2 = Linear(128, 10);
    private readonly Module<Tensor, Tensor> pool1 = MaxPool2d(kernel_size: new long[] { 2, 2 });
    private readonly Module<Tensor, Tensor> relu1 = ReLU();
    private readonly Module<Tensor, Tensor> relu2 = ReLU();
    private readonly Module<Tensor, Tensor> relu3 = ReLU();
    private readonly Module<Tensor, Tensor> dropout1 = Dropout(0.25);
    private readonly Module<Tensor, Tensor> dropout2 = Dropout(0.5);
    private readonly Module<Tensor, Tensor> flatten = Flatten();
    private readonly Module<Tensor, Tensor> logsm = LogSoftmax(1);

    public Mnist(string name, Device? device = null) : base(name)
    {
        RegisterComponents();
        if (device is not null && device.type == DeviceType.CUDA)
        {
            this.to(device);
        }
    }

    public override Tensor forward(Tensor input)
    {
        var l11 = conv1.forward(input);
        var l12 = relu1.forward(l11);
        var l21 = conv2.forward(l12);
        var l22 = relu2.forward(l21);
        var l23 = pool1.forward(l22);
        var l24 = dropout1.forward(l23);
        var x = flatten.forward(l24);
        var l31 = fc1.forward(x);
        var l32 = relu3.forward(l31);
        var l33 = dropout2.forward(l32);
        var l41 = fc2.forward(l33);
        return logsm.forward(l41);
    }
}
