using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The one place where a collection's statistics wait on the model's device: scalars queued by the forward hooks
/// during the pass and by the collection afterwards, stacked and copied to the host in one transfer (a host
/// synchronisation per statistic would stall a GPU once per parameter), and the per-unit tensors a collection
/// combines with the gradients. Everything queued is owned here, out of every dispose scope, until <see cref="Clear"/>.
/// </summary>
internal sealed class DeviceStatistics : IDisposable
{
    private readonly List<Tensor> scalars = new();
    private readonly List<Tensor> kept = new();

    /// <summary>Queues a 0-dimensional tensor (any numeric dtype), taking it over, and returns its position in the host copy.</summary>
    public int Add(Tensor scalar)
    {
        scalars.Add(scalar.DetachFromDisposeScope());
        return scalars.Count - 1;
    }

    /// <summary>Keeps a tensor on the device until <see cref="Clear"/>, taking it over.</summary>
    public Tensor Keep(Tensor tensor)
    {
        kept.Add(tensor.DetachFromDisposeScope());
        return tensor;
    }

    /// <summary>
    /// Copies every queued scalar to the host in one transfer. Scalars of one dtype are stacked by one call, so the
    /// number of TorchSharp calls grows with the dtypes (norms, counts, flags), not with the statistics.
    /// </summary>
    public double[] CopyToHost()
    {
        if (scalars.Count == 0)
        {
            return Array.Empty<double>();
        }

        using var scope = torch.NewDisposeScope();
        Device device = scalars[0].device;
        var groups = scalars.Select((scalar, slot) => (scalar, slot)).GroupBy(entry => entry.scalar.dtype).ToList();
        var stacked = groups.Select(group => torch.stack(group.Select(entry => entry.scalar)).to(ScalarType.Float64, device)).ToList();
        using Tensor onHost = (stacked.Count == 1 ? stacked[0] : torch.cat(stacked, 0)).cpu();
        var copied = onHost.data<double>().ToArray();
        var values = new double[scalars.Count];
        int position = 0;
        foreach (var group in groups)
        {
            foreach (var (_, slot) in group)
            {
                values[slot] = copied[position++];
            }
        }

        return values;
    }

    /// <summary>Disposes everything queued or kept.</summary>
    public void Clear()
    {
        scalars.ForEach(tensor => tensor.Dispose());
        scalars.Clear();
        kept.ForEach(tensor => tensor.Dispose());
        kept.Clear();
    }

    public void Dispose() => Clear();
}
