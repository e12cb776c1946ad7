// expect: GG0002@25,26,28,29,31,32,34,35,37,38,40,41,43,44,46,47,49,50
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace RealWorld.UNetPlain;

/// <summary>
/// The original U-Net written out layer by layer, as segmentation projects do: two 3×3 convolutions with ReLU per
/// level, no normalisation, default init, and the encoder's features concatenated into the decoder with
/// <c>cat(new List&lt;Tensor&gt; { ... })</c>. Every convolution that feeds a ReLU is part of a long run; the skip
/// concatenations keep the shortest path short.
/// </summary>
public sealed class UNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> e11, e12, e21, e22, e31, e32, e41, e42, e51, e52;
    private readonly Module<Tensor, Tensor> pool1, pool2, pool3, pool4;
    private readonly Module<Tensor, Tensor> up1, d11, d12, up2, d21, d22, up3, d31, d32, up4, d41, d42;
    private readonly Module<Tensor, Tensor> output;

    public UNet(Device? device, int inChannels, int classes) : base(nameof(UNet))
    {
        e11 = Conv2d(inChannels, 64, 3, 1, 1, device: device);
        e12 = Conv2d(64, 64, 3, 1, 1, device: device);
        pool1 = MaxPool2d(2, 2);
        e21 = Conv2d(64, 128, 3, 1, 1, device: device);
        e22 = Conv2d(128, 128, 3, 1, 1, device: device);
        pool2 = MaxPool2d(2, 2);
        e31 = Conv2d(128, 256, 3, 1, 1, device: device);
        e32 = Conv2d(256, 256, 3, 1, 1, device: device);
        pool3 = MaxPool2d(2, 2);
        e41 = Conv2d(256, 512, 3, 1, 1, device: device);
        e42 = Conv2d(512, 512, 3, 1, 1, device: device);
        pool4 = MaxPool2d(2, 2);
        e51 = Conv2d(512, 1024, 3, 1, 1, device: device);
        e52 = Conv2d(1024, 1024, 3, 1, 1, device: device);
        up1 = ConvTranspose2d(1024, 512, 2, 2, device: device);
        d11 = Conv2d(1024, 512, 3, 1, 1, device: device);
        d12 = Conv2d(512, 512, 3, 1, 1, device: device);
        up2 = ConvTranspose2d(512, 256, 2, 2, device: device);
        d21 = Conv2d(512, 256, 3, 1, 1, device: device);
        d22 = Conv2d(256, 256, 3, 1, 1, device: device);
        up3 = ConvTranspose2d(256, 128, 2, 2, device: device);
        d31 = Conv2d(256, 128, 3, 1, 1, device: device);
        d32 = Conv2d(128, 128, 3, 1, 1, device: device);
        up4 = ConvTranspose2d(128, 64, 2, 2, device: device);
        d41 = Conv2d(128, 64, 3, 1, 1, device: device);
        d42 = Conv2d(64, 64, 3, 1, 1, device: device);
        output = Conv2d(64, classes, 1, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var xe11 = relu(e11.call(input));
        var xe12 = relu(e12.call(xe11));
        var xe21 = relu(e21.call(pool1.call(xe12)));
        var xe22 = relu(e22.call(xe21));
        var xe31 = relu(e31.call(pool2.call(xe22)));
        var xe32 = relu(e32.call(xe31));
        var xe41 = relu(e41.call(pool3.call(xe32)));
        var xe42 = relu(e42.call(xe41));
        var xe51 = relu(e51.call(pool4.call(xe42)));
        var xe52 = relu(e52.call(xe51));

        var xu1 = cat(new List<Tensor> { up1.call(xe52), xe42 }, 1);
        var xd12 = relu(d12.call(relu(d11.call(xu1))));
        var xu2 = cat(new List<Tensor> { up2.call(xd12), xe32 }, 1);
        var xd22 = relu(d22.call(relu(d21.call(xu2))));
        var xu3 = cat(new List<Tensor> { up3.call(xd22), xe22 }, 1);
        var xd32 = relu(d32.call(relu(d31.call(xu3))));
        var xu4 = cat(new List<Tensor> { up4.call(xd32), xe12 }, 1);
        var xd42 = relu(d42.call(relu(d41.call(xu4))));
        return output.call(xd42);
    }
}
