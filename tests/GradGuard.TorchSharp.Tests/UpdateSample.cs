using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// What the update ratio reads of a weight, as docs/monitor.md states it, worked out here independently of the monitor:
/// all of it up to 4096 elements; otherwise runs of 16 neighbouring elements whose starts lie 16·q apart, q the largest
/// odd number not above max(3, n / 4096), as many as fit. For 24×256 that is 128 runs 48 apart, for 256×256 274 runs 240
/// apart.
/// </summary>
internal static class UpdateSample
{
    /// <summary>A copy of the sampled elements of <paramref name="weight"/>, in the order the monitor reads them.</summary>
    public static Tensor Of(Tensor weight)
    {
        using var noGrad = torch.no_grad();
        using var flat = weight.detach().reshape(-1);
        long elements = flat.numel();
        if (elements <= 4096)
        {
            return flat.clone();
        }

        long q = Math.Max(3, elements / 4096);
        long spacing = 16 * (q % 2 == 1 ? q : q - 1);
        var runs = Enumerable.Range(0, (int)((elements - 16) / spacing + 1)).Select(run => flat.narrow(0, run * spacing, 16)).ToList();
        var sampled = torch.cat(runs, 0);
        runs.ForEach(run => run.Dispose());
        return sampled;
    }
}
