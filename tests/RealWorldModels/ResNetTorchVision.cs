// expect: none
using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ResNetTorchVision;

/// <summary>
/// ResNet as torchvision writes it: stages are Sequentials filled by a helper, blocks made by a delegate, the norm
/// layer a function that defaults to BatchNorm2d, a downsampling projection only where the shape changes, and
/// Kaiming (fan-out) init for every convolution from the parent's <c>named_modules()</c> switch. Bottleneck blocks
/// are only ever used inside the network, so the network, not the block, is judged.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    public delegate Module<Tensor, Tensor> BlockFactory(int input, int planes, int stride = 1, Module<Tensor, Tensor>? downsample = null, Func<int, Module<Tensor, Tensor>>? norm = null);

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> maxpool;
    private readonly Sequential layer1 = Sequential();
    private readonly Sequential layer2 = Sequential();
    private readonly Sequential layer3 = Sequential();
    private readonly Sequential layer4 = Sequential();
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> fc;
    private readonly Func<int, Module<Tensor, Tensor>> norm;
    private int inPlanes = 64;

    public static ResNet ResNet50(int classes = 1000, bool zeroInitResidual = false) =>
        new("ResNet50", (i, p, s, d, n) => new Bottleneck(i, p, s, d, n), Bottleneck.Expansion, new[] { 3, 4, 6, 3 }, classes, zeroInitResidual);

    public static ResNet ResNet101(int classes = 1000) =>
        new("ResNet101", (i, p, s, d, n) => new Bottleneck(i, p, s, d, n), Bottleneck.Expansion, new[] { 3, 4, 23, 3 }, classes);

    public ResNet(string name, BlockFactory block, int expansion, IList<int> blocks, int classes = 1000, bool zeroInitResidual = false, Func<int, Module<Tensor, Tensor>>? normLayer = null, string? weightsFile = null)
        : base(name)
    {
        norm = normLayer is not null ? normLayer : planes => BatchNorm2d(planes);
        conv1 = Conv2d(3, inPlanes, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = norm(inPlanes);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        MakeStage(layer1, block, expansion, 64, blocks[0], 1);
        MakeStage(layer2, block, expansion, 128, blocks[1], 2);
        MakeStage(layer3, block, expansion, 256, blocks[2], 2);
        MakeStage(layer4, block, expansion, 512, blocks[3], 2);
        avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
        fc = Linear(512 * expansion, classes);
        RegisterComponents();

        if (string.IsNullOrEmpty(weightsFile))
        {
            foreach (var (_, module) in named_modules())
            {
                switch (module)
                {
                    case Conv2d conv:
                        init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                        break;
                    case BatchNorm2d bn:
                        init.constant_(bn.weight, 1);
                        init.constant_(bn.bias, 0);
                        break;
                }
            }

            if (zeroInitResidual)
            {
                foreach (var (_, module) in named_modules())
                {
                    if (module is Bottleneck bottleneck && bottleneck.LastNorm is BatchNorm2d last)
                    {
                        init.constant_(last.weight, 0);
                    }
                }
            }
        }
        else
        {
            this.load(weightsFile!);
        }
    }

    private void MakeStage(Sequential stage, BlockFactory block, int expansion, int planes, int count, int stride)
    {
        Sequential? downsample = null;
        if (stride != 1 || inPlanes != planes * expansion)
        {
            downsample = Sequential(Conv2d(inPlanes, planes * expansion, kernel_size: 1, stride: stride, bias: false), norm(planes * expansion));
        }

        stage.append(block(inPlanes, planes, stride, downsample, norm));
        inPlanes = planes * expansion;
        for (var i = 1; i < count; i++)
        {
            stage.append(block(inPlanes, planes, 1, null, norm));
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer1.call(x);
        x = layer2.call(x);
        x = layer3.call(x);
        x = layer4.call(x);
        var result = fc.call(avgpool.call(x).flatten(1));
        return result.MoveToOuterDisposeScope();
    }

    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        public const int Expansion = 4;

        private readonly Module<Tensor, Tensor> conv1;
        private readonly Module<Tensor, Tensor> bn1;
        private readonly Module<Tensor, Tensor> conv2;
        private readonly Module<Tensor, Tensor> bn2;
        private readonly Module<Tensor, Tensor> conv3;
        private readonly Module<Tensor, Tensor> bn3;
        private readonly Module<Tensor, Tensor> relu1;
        private readonly Module<Tensor, Tensor> relu2;
        private readonly Module<Tensor, Tensor>? downsample;

        public Bottleneck(int input, int planes, int stride = 1, Module<Tensor, Tensor>? downsample = null, Func<int, Module<Tensor, Tensor>>? norm = null)
            : base(nameof(Bottleneck))
        {
            norm ??= width => BatchNorm2d(width);
            conv1 = Conv2d(input, planes, kernel_size: 1, bias: false);
            bn1 = norm(planes);
            relu1 = ReLU(inplace: true);
            conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
            bn2 = norm(planes);
            relu2 = ReLU(inplace: true);
            conv3 = Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
            bn3 = norm(planes * Expansion);
            this.downsample = downsample;
            RegisterComponents();
        }

        internal Module<Tensor, Tensor> LastNorm => bn3;

        public override Tensor forward(Tensor input)
        {
            var identity = input;
            var x = relu1.call(bn1.call(conv1.call(input)));
            x = relu2.call(bn2.call(conv2.call(x)));
            x = bn3.call(conv3.call(x));
            if (downsample is not null)
            {
                identity = downsample.call(input);
            }

            return x.add_(identity).relu_();
        }
    }
}
