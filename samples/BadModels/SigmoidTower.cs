using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>GG0001: eight sigmoids in a row; the first layer sees at most 0.25^8 ≈ 1.5e-5 of the gradient.</summary>
public static class SigmoidTower
{
    public static Sequential Build() => nn.Sequential(
        nn.Linear(784, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 256), nn.Sigmoid(),
        nn.Linear(256, 128), nn.Sigmoid(),
        nn.Linear(128, 10));
}
