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
/// Weights of one dtype, device and shape are copied by one <c>cat</c> and measured row by row
/// (<see cref="SameShapeBatches"/>), as <see cref="GradientNorms"/> measures gradients: on a deep stack of small layers the calls, not the bytes, were the
/// cost (ten per layer, about 15 µs).
/// </summary>
internal sealed class UpdateRatios : IDisposable
{
    /// <summary>The most elements of one layer whose update is measured.</summary>
    public const int SampledElements = 4096;

    private readonly GradientMonitorOptions options;
    private readonly Dictionary<(string Layer, string Name), TrackedParameter> parameters;
    private List<Copy> copies = new();
    private List<Norms> measured = new();

    public UpdateRatios(ModelStructure structure, GradientMonitorOptions options)
    {
        this.options = options;
        parameters = structure.Parameters.ToDictionary(parameter => (parameter.Owner.Path, parameter.Name));
    }

    /// <summary>Copies the weights a collection saw, so that the next call can measure what the optimizer did to them.</summary>
    public void Remember(GradientReport report)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        DisposeCopies();
        var weights = report.WeightGradients
            .Where(weight => double.IsFinite(weight.Norm))
            .Select((weight, position) => (Weight: (position, weight), Tensor: (Tensor)parameters[(weight.Layer, weight.Parameter)].Tensor));
        foreach (var shape in SameShapeBatches.Of(weights, entry => entry.Tensor))
        {
            long elements = shape.First().Tensor.numel();
            long stride = elements <= SampledElements ? 1 : ((elements + SampledElements - 1) / SampledElements) | 1;
            long sampled = (elements + stride - 1) / stride;
            foreach (var group in SameShapeBatches.Chunks(shape, sampled))
            {
                var tensors = group.Select(entry => entry.Tensor).ToArray();
                // TorchSharp's cat of a single tensor returns an alias of it, not a copy.
                var joined = tensors.Length == 1 ? Joined(tensors, stride).clone() : Joined(tensors, stride);
                copies.Add(new Copy(group.Select(entry => entry.Weight).ToArray(), tensors, stride, joined.DetachFromDisposeScope()));
            }
        }
    }

    /// <summary>At the call after a collection: the step has been taken, so the copies become norms (on the device) and go.</summary>
    public void MeasureStep()
    {
        if (copies.Count == 0)
        {
            return;
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        DisposeMeasured();
        foreach (var copy in copies)
        {
            var rows = copy.Before.view(copy.Weights.Length, -1);
            var weightNorms = rows.norm(1).DetachFromDisposeScope();
            copy.Before.sub_(Joined(copy.Tensors, copy.Stride));
            measured.Add(new Norms(copy.Weights, rows.norm(1).DetachFromDisposeScope(), weightNorms));
        }

        DisposeCopies();
    }

    /// <summary>Hands the measured norms to the collection's transfer; returns how to read them back.</summary>
    public Func<HostStatistics, IReadOnlyList<UpdateRatio>> Queue(DeviceStatistics statistics)
    {
        var slots = measured.Select(norms => (norms.Weights, Update: statistics.Add(norms.Update), Size: statistics.Add(norms.Size))).ToList();
        measured = new();
        return values =>
        {
            var ratios = slots.SelectMany(group => group.Weights.Select((entry, row) =>
            {
                double update = values.Segment(group.Update)[row];
                double size = values.Segment(group.Size)[row];
                return (entry.Position, Ratio: new UpdateRatio(entry.Weight.LayerIndex, entry.Weight.Layer, update / size, update, size));
            })).OrderBy(entry => entry.Position).Select(entry => entry.Ratio).ToList();
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
        copies.ForEach(copy => copy.Before.Dispose());
        copies = new();
    }

    private void DisposeMeasured()
    {
        measured.ForEach(norms =>
        {
            norms.Update.Dispose();
            norms.Size.Dispose();
        });
        measured = new();
    }

    /// <summary>
    /// The weights' sampled elements, one row per weight once viewed as (weights, −1): the weights themselves where
    /// every element is sampled (one <c>cat</c> of same-shaped tensors), every <paramref name="stride"/>-th element of
    /// each otherwise. In the current dispose scope; an alias of the weight's elements when there is only one.
    /// </summary>
    private static Tensor Joined(Tensor[] weights, long stride) =>
        torch.cat(stride == 1 ? weights : weights.Select(weight => weight.reshape(-1).slice(0, 0, weight.numel(), stride)).ToArray(), 0);

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>Weights of one dtype, device and shape, with their place in the report, and their joined copy.</summary>
    private sealed record Copy((int Position, ParameterGradient Weight)[] Weights, Tensor[] Tensors, long Stride, Tensor Before);

    /// <summary>The norms of a group's update and of its weights before it, one per weight.</summary>
    private sealed record Norms((int Position, ParameterGradient Weight)[] Weights, Tensor Update, Tensor Size);
}
