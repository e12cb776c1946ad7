using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>The CPU training workloads whose step time the monitor is measured against.</summary>
public enum Workload
{
    /// <summary>16 hidden Linear(1024, 1024) + ReLU layers, batch 256: many parameters, cheap activations.</summary>
    DeepMlp,

    /// <summary>Three 3×3 convolutions with ReLU and pooling, then two Linear layers, on CIFAR-sized batches of 64.</summary>
    SmallConvNet,

    /// <summary>8 × Linear(64, 64) + ReLU, batch 32: steps so short that the monitor's fixed cost dominates, for the memory soak.</summary>
    TinyMlp,
}

/// <summary>A model with one fixed random batch: the data pipeline is not what is being measured.</summary>
internal sealed record WorkloadInstance(nn.Module<Tensor, Tensor> Model, Tensor Input, Tensor Labels) : IDisposable
{
    private const int Classes = 10;

    public static WorkloadInstance Create(Workload workload)
    {
        // The same seed for every instance: each variant trains an identical network on identical data.
        torch.manual_seed(4);
        return workload switch
        {
            Workload.DeepMlp => Mlp(width: 1024, depth: 16, batch: 256),
            Workload.TinyMlp => Mlp(width: 64, depth: 8, batch: 32),
            Workload.SmallConvNet => ConvNet(batch: 64),
            _ => throw new ArgumentOutOfRangeException(nameof(workload), workload, null),
        };
    }

    public void Dispose()
    {
        Model.Dispose();
        Input.Dispose();
        Labels.Dispose();
    }

    private static WorkloadInstance Mlp(int width, int depth, int batch)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int layer = 0; layer < depth; layer++)
        {
            var linear = nn.Linear(width, width);
            // He initialisation, as a deep ReLU stack is trained in practice; PyTorch's default would let the
            // signal fade layer after layer into denormal floats, which the CPU computes many times slower.
            nn.init.kaiming_normal_(linear.weight!, nonlinearity: nn.init.NonlinearityType.ReLU);
            layers.Add(linear);
            layers.Add(nn.ReLU());
        }

        layers.Add(nn.Linear(width, Classes));
        return new WorkloadInstance(nn.Sequential(layers), torch.randn(batch, width), torch.randint(Classes, batch));
    }

    private static WorkloadInstance ConvNet(int batch)
    {
        var model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
            nn.Linear(128, Classes));
        return new WorkloadInstance(model, torch.randn(batch, 3, 32, 32), torch.randint(Classes, batch));
    }
}
