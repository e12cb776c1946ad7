using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Scalar statistics that stay on the model's device until <see cref="CopyToHost"/> stacks them and copies
/// them in one transfer: a host synchronisation per statistic would stall a GPU once per parameter.
/// </summary>
internal sealed class DeviceStatistics
{
    private readonly List<Tensor> scalars = new();

    public int Count => scalars.Count;

    /// <summary>Queues a scalar tensor (any numeric dtype) and returns its position in the host copy.</summary>
    public int Add(Tensor scalar)
    {
        scalars.Add(scalar);
        return scalars.Count - 1;
    }

    /// <summary>Stacks every queued scalar as float64 on the first one's device and copies the stack to the host.</summary>
    public double[] CopyToHost()
    {
        if (scalars.Count == 0)
        {
            return Array.Empty<double>();
        }

        Device device = scalars[0].device;
        var aligned = scalars.Select(scalar => scalar.to(ScalarType.Float64, device).reshape(1)).ToList();
        using Tensor stacked = torch.cat(aligned, 0);
        using Tensor onHost = stacked.cpu();
        return onHost.data<double>().ToArray();
    }
}
