// expect: GG0006@26,26,46,46,46,46,76,76,76
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.InceptionBlocks;

/// <summary>
/// GoogLeNet's inception modules: four parallel branches (1×1; 1×1 then 3×3; 1×1 then 5×5; pooling then 1×1), each
/// convolution batch-normalised, concatenated along channels. Nine modules deep, but the 1×1 branch keeps the
/// shortest path at one layer a module.
/// </summary>
public sealed class BasicConv : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    public BasicConv(long input, long output, long kernel, long padding = 0, long stride = 1) : base(nameof(BasicConv))
    {
        conv = Conv2d(input, output, kernel, stride: stride, padding: padding, bias: false);
        bn = BatchNorm2d(output, eps: 0.001);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => functional.relu(bn.forward(conv.forward(x)), inplace: true);
}

public sealed class Inception : Module<Tensor, Tensor>
{
    private readonly BasicConv branch1;
    private readonly Sequential branch2;
    private readonly Sequential branch3;
    private readonly Sequential branch4;

    public Inception(long input, long ch1, long ch3Reduce, long ch3, long ch5Reduce, long ch5, long poolProjection) : base(nameof(Inception))
    {
        branch1 = new BasicConv(input, ch1, 1);
        branch2 = Sequential(new BasicConv(input, ch3Reduce, 1), new BasicConv(ch3Reduce, ch3, 3, padding: 1));
        branch3 = Sequential(new BasicConv(input, ch5Reduce, 1), new BasicConv(ch5Reduce, ch5, 3, padding: 1));
        branch4 = Sequential(MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true), new BasicConv(input, poolProjection, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        torch.cat(new[] { branch1.forward(x), branch2.forward(x), branch3.forward(x), branch4.forward(x) }, 1);
}

public sealed class GoogLeNet : Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly Sequential inceptions;
    private readonly Linear fc;

    public GoogLeNet(long classes = 1000) : base(nameof(GoogLeNet))
    {
        stem = Sequential(
            new BasicConv(3, 64, 7, padding: 3, stride: 2), MaxPool2d(3, stride: 2, ceil_mode: true),
            new BasicConv(64, 64, 1), new BasicConv(64, 192, 3, padding: 1), MaxPool2d(3, stride: 2, ceil_mode: true));
        inceptions = Sequential(
            new Inception(192, 64, 96, 128, 16, 32, 32),
            new Inception(256, 128, 128, 192, 32, 96, 64),
            MaxPool2d(3, stride: 2, ceil_mode: true),
            new Inception(480, 192, 96, 208, 16, 48, 64),
            new Inception(512, 160, 112, 224, 24, 64, 64),
            new Inception(512, 128, 128, 256, 24, 64, 64),
            new Inception(512, 112, 144, 288, 32, 64, 64),
            new Inception(528, 256, 160, 320, 32, 128, 128),
            MaxPool2d(2, stride: 2, ceil_mode: true),
            new Inception(832, 256, 160, 320, 32, 128, 128),
            new Inception(832, 384, 192, 384, 48, 128, 128));
        fc = Linear(1024, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.forward(functional.adaptive_avg_pool2d(inceptions.forward(stem.forward(x)), 1).flatten(1));
}
