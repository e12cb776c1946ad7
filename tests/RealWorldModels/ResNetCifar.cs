// expect: GG0006@63,88,89,131,132
using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ResNetCifar;

/// <summary>
/// ResNet for CIFAR-10 in the shape of the TorchSharp examples: the block type comes in as a factory lambda, the
/// number of blocks per stage as an array, every block a (name, module) pair in one list, and each block adds its
/// shortcut in place (<c>x.add_(y).relu_()</c>). Normalised and residual: nothing to report.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> layers;
    private int inPlanes = 64;

    public static ResNet ResNet18(int classes) =>
        new("ResNet18", (name, input, planes, stride) => new BasicBlock(name, input, planes, stride), BasicBlock.Expansion, new[] { 2, 2, 2, 2 }, classes);

    public static ResNet ResNet50(int classes) =>
        new("ResNet50", (name, input, planes, stride) => new Bottleneck(name, input, planes, stride), Bottleneck.Expansion, new[] { 3, 4, 6, 3 }, classes);

    public static ResNet ResNet152(int classes) =>
        new("ResNet152", (name, input, planes, stride) => new Bottleneck(name, input, planes, stride), Bottleneck.Expansion, new[] { 3, 8, 36, 3 }, classes);

    public ResNet(string name, Func<string, int, int, int, Module<Tensor, Tensor>> block, int expansion, IList<int> blocks, int classes) : base(name)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv1", Conv2d(3, 64, kernel_size: 3, stride: 1, padding: 1, bias: false)),
            ("bn1", BatchNorm2d(64)),
            ("relu1", ReLU(inplace: true)),
        };
        AddStage(modules, block, expansion, 64, blocks[0], 1);
        AddStage(modules, block, expansion, 128, blocks[1], 2);
        AddStage(modules, block, expansion, 256, blocks[2], 2);
        AddStage(modules, block, expansion, 512, blocks[3], 2);
        modules.Add(("pool", AvgPool2d(new long[] { 4, 4 })));
        modules.Add(("flatten", Flatten()));
        modules.Add(("fc", Linear(512 * expansion, classes)));
        layers = Sequential(modules);
        RegisterComponents();
    }

    private void AddStage(List<(string, Module<Tensor, Tensor>)> modules, Func<string, int, int, int, Module<Tensor, Tensor>> block, int expansion, int planes, int count, int stride)
    {
        var strides = new List<int> { stride };
        for (var i = 0; i < count - 1; i++)
        {
            strides.Add(1);
        }

        for (var i = 0; i < strides.Count; i++)
        {
            modules.Add(($"block-{planes}-{i}", block($"block-{planes}-{i}", inPlanes, planes, strides[i])));
            inPlanes = planes * expansion;
        }
    }

    public override Tensor forward(Tensor input) => layers.forward(input);

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        public const int Expansion = 1;

        private readonly Module<Tensor, Tensor> body;
        private readonly Module<Tensor, Tensor> shortcut;

        public BasicBlock(string name, int input, int planes, int stride) : base(name)
        {
            body = Sequential(
                Conv2d(input, planes, kernel_size: 3, stride: stride, padding: 1, bias: false),
                BatchNorm2d(planes),
                ReLU(inplace: true),
                Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false),
                BatchNorm2d(planes));
            shortcut = stride != 1 || input != Expansion * planes
                ? Sequential(Conv2d(input, Expansion * planes, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(Expansion * planes))
                : Sequential();
            RegisterComponents();
        }

        public override Tensor forward(Tensor t)
        {
            var x = body.forward(t);
            var y = shortcut.forward(t);
            return x.add_(y).relu_();
        }
    }

    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        public const int Expansion = 4;

        private readonly Module<Tensor, Tensor> body;
        private readonly Module<Tensor, Tensor> shortcut;

        public Bottleneck(string name, int input, int planes, int stride) : base(name)
        {
            var modules = new List<(string, Module<Tensor, Tensor>)>
            {
                ($"{name}-conv1", Conv2d(input, planes, kernel_size: 1, bias: false)),
                ($"{name}-bn1", BatchNorm2d(planes)),
                ($"{name}-relu1", ReLU(inplace: true)),
                ($"{name}-conv2", Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false)),
                ($"{name}-bn2", BatchNorm2d(planes)),
                ($"{name}-relu2", ReLU(inplace: true)),
                ($"{name}-conv3", Conv2d(planes, Expansion * planes, kernel_size: 1, bias: false)),
                ($"{name}-bn3", BatchNorm2d(Expansion * planes)),
            };
            body = Sequential(modules);
            if (stride != 1 || input != Expansion * planes)
            {
                shortcut = Sequential(
                    ($"{name}-proj", Conv2d(input, Expansion * planes, kernel_size: 1, stride: stride, bias: false)),
                    ($"{name}-proj-bn", BatchNorm2d(Expansion * planes)));
            }
            else
            {
                shortcut = Sequential();
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor t)
        {
            var x = body.forward(t);
            var y = shortcut.forward(t);
            return x.add_(y).relu_();
        }
    }
}
