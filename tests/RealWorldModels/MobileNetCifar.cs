// expect: GG0003@14 GG0006@60
using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.MobileNetCifar;

/// <summary>
/// MobileNet v1 for 32×32 images: a depthwise and a pointwise convolution per stage, each followed by batch
/// normalisation and ReLU, stage widths and strides in two readonly tables. 28 weight layers and no shortcut.
/// </summary>
public class MobileNet : Module<Tensor, Tensor>
{
    private readonly long[] widths = { 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024 };
    private readonly long[] strides = { 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };
    private readonly Module<Tensor, Tensor> body;

    public MobileNet(int classes, Device? device = null) : base(nameof(MobileNet))
    {
        if (widths.Length != strides.Length)
        {
            throw new ArgumentException("one stride per stage");
        }

        var stages = new List<(string, Module<Tensor, Tensor>)>
        {
            ("stem", Conv2d(3, 32, kernel_size: 3, stride: 1, padding: 1, bias: false)),
            ("stem-bn", BatchNorm2d(32)),
            ("stem-act", ReLU()),
        };
        AddStages(stages, 32);
        stages.Add(("pool", AvgPool2d(new long[] { 2, 2 })));
        stages.Add(("flatten", Flatten()));
        stages.Add(("classifier", Linear(widths[widths.Length - 1], classes)));
        body = Sequential(stages);
        RegisterComponents();
        if (device is not null && device.type != DeviceType.CPU)
        {
            this.to(device);
        }
    }

    private void AddStages(List<(string, Module<Tensor, Tensor>)> stages, long channels)
    {
        for (var i = 0; i < strides.Length; i++)
        {
            var width = widths[i];
            stages.Add(($"dw{i}", Conv2d(channels, channels, kernel_size: 3, stride: strides[i], padding: 1, groups: channels, bias: false)));
            stages.Add(($"dw{i}-bn", BatchNorm2d(channels)));
            stages.Add(($"dw{i}-act", ReLU()));
            stages.Add(($"pw{i}", Conv2d(channels, width, kernel_size: 1L, stride: 1L, padding: 0L, bias: false)));
            stages.Add(($"pw{i}-bn", BatchNorm2d(width)));
            stages.Add(($"pw{i}-act", ReLU()));
            channels = width;
        }
    }

    public override Tensor forward(Tensor input) => body.forward(input);
}
