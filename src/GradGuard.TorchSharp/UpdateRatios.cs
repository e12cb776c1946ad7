using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// ‖Δw‖/‖w‖ of each weight layer for the optimizer step that follows a collection, whatever the optimizer: the
/// collection keeps a copy of the weights, the next <see cref="GradientMonitor.Collect"/> call (after
/// <c>optimizer.step()</c>) turns the copy into two norms on the device and frees it, and the norms wait there for the
/// next collection's one transfer. So a healthy step adds no host synchronisation, and the copy lives for one step.
/// A layer of more than <see cref="SampledElements"/> elements is copied at evenly spaced elements only (an odd stride,
/// so that it does not follow the rows): copying whole weight matrices would cost more than the optimizer's step, and
/// a ratio of two norms over thousands of elements is within a few percent of the whole layer's.
/// </summary>
internal sealed class UpdateRatios : IDisposable
{
    /// <summary>The most elements of one layer whose update is measured.</summary>
    public const int SampledElements = 4096;

    private readonly GradientMonitorOptions options;
    private readonly Dictionary<(string Layer, string Name), TrackedParameter> parameters;
    private List<(ParameterGradient Weight, long Stride, Tensor Before)> copies = new();
    private List<(ParameterGradient Weight, Tensor UpdateNorm, Tensor WeightNorm)> measured = new();

    public UpdateRatios(ModelStructure structure, GradientMonitorOptions options)
    {
        this.options = options;
        parameters = structure.Parameters.ToDictionary(parameter => (parameter.Owner.Path, parameter.Name));
    }

    /// <summary>Copies the weights a collection saw, so that the next call can measure what the optimizer did to them.</summary>
    public void Remember(GradientReport report)
    {
        using var noGrad = torch.no_grad();
        DisposeCopies();
        copies = report.WeightGradients
            .Where(weight => double.IsFinite(weight.Norm))
            .Select(weight =>
            {
                var tensor = parameters[(weight.Layer, weight.Parameter)].Tensor;
                long stride = tensor.numel() <= SampledElements ? 1 : ((tensor.numel() + SampledElements - 1) / SampledElements) | 1;
                using var sampled = Sampled(tensor, stride);
                return (weight, stride, sampled.clone().DetachFromDisposeScope());
            })
            .ToList();
    }

    /// <summary>At the call after a collection: the step has been taken, so the copies become norms (on the device) and go.</summary>
    public void MeasureStep()
    {
        if (copies.Count == 0)
        {
            return;
        }

        using var noGrad = torch.no_grad();
        DisposeMeasured();
        foreach (var (weight, stride, before) in copies)
        {
            Tensor weightNorm = before.norm().DetachFromDisposeScope();
            using (var after = Sampled(parameters[(weight.Layer, weight.Parameter)].Tensor, stride))
            {
                before.sub_(after);
            }

            measured.Add((weight, before.norm().DetachFromDisposeScope(), weightNorm));
            before.Dispose();
        }

        copies = new();
    }

    /// <summary>Hands the measured norms to the collection's transfer; returns how to read them back.</summary>
    public Func<HostStatistics, IReadOnlyList<UpdateRatio>> Queue(DeviceStatistics statistics)
    {
        var slots = measured.Select(entry => (entry.Weight, Update: statistics.Add(entry.UpdateNorm), Size: statistics.Add(entry.WeightNorm))).ToList();
        measured = new();
        return values =>
        {
            var ratios = slots.Select(slot => new UpdateRatio(slot.Weight.LayerIndex, slot.Weight.Layer, values[slot.Update] / values[slot.Size], values[slot.Update], values[slot.Size])).ToList();
            // A step that moved no weight at all was not taken (a skipped step, or no optimizer between the calls).
            return ratios.All(ratio => ratio.UpdateNorm == 0) ? Array.Empty<UpdateRatio>() : ratios;
        };
    }

    /// <summary>One model-wide diagnosis each way: layers far out of the healthy range are usually many, and the first one is the clue.</summary>
    public IEnumerable<GradientDiagnosis> Diagnose(IReadOnlyList<UpdateRatio> ratios)
    {
        var small = ratios.Where(ratio => ratio.Ratio < options.SmallUpdateRatio).ToList();
        if (small.Count > 0)
        {
            yield return new GradientDiagnosis(GradientProblem.UpdatesTooSmall, null, small.Min(ratio => ratio.Ratio), options.SmallUpdateRatio,
                $"updates too small: the optimizer step moved {small.Count} of {ratios.Count} weight layers by less than {Format(options.SmallUpdateRatio)} of their norm " +
                $"(first '{small[0].Layer}': {Format(small[0].Ratio)}; healthy is about 1e-3), so they are not learning. " +
                "If the gradient reaching them vanishes, fix that; otherwise raise the learning rate.");
        }

        var large = ratios.Where(ratio => ratio.Ratio > options.LargeUpdateRatio).ToList();
        if (large.Count > 0)
        {
            yield return new GradientDiagnosis(GradientProblem.UpdatesTooLarge, null, large.Max(ratio => ratio.Ratio), options.LargeUpdateRatio,
                $"updates too large: the optimizer step moved {large.Count} of {ratios.Count} weight layers by more than {Format(options.LargeUpdateRatio)} of their norm " +
                $"(first '{large[0].Layer}': {Format(large[0].Ratio)}; healthy is about 1e-3). Lower the learning rate or clip gradients.");
        }
    }

    public void Dispose()
    {
        DisposeCopies();
        DisposeMeasured();
    }

    private void DisposeCopies()
    {
        copies.ForEach(entry => entry.Before.Dispose());
        copies = new();
    }

    private void DisposeMeasured()
    {
        measured.ForEach(entry =>
        {
            entry.UpdateNorm.Dispose();
            entry.WeightNorm.Dispose();
        });
        measured = new();
    }

    /// <summary>Every <paramref name="stride"/>-th element of the weight, as a view where the weight is contiguous.</summary>
    private static Tensor Sampled(Tensor weight, long stride)
    {
        using var flat = weight.reshape(-1);
        return flat.slice(0, 0, flat.numel(), stride);
    }

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
