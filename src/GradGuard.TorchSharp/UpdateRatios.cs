using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// ‖Δw‖/‖w‖ of each weight layer for the optimizer step that follows a collection, whatever the optimizer: the
/// collection keeps a copy of the weights, the next <see cref="GradientMonitor.Collect"/> call (after
/// <c>optimizer.step()</c>) turns the copy into two norms on the device and frees it, and the norms wait there for the
/// next collection's one transfer. So a healthy step adds no host synchronisation, and the copy lives for one step.
/// A layer of more than <see cref="WholeElements"/> elements is copied in evenly spaced runs of <see cref="RunLength"/>
/// neighbouring elements (<see cref="RunSpacing"/>): the copies read weights the optimizer has just written, from memory,
/// so their cost is the cache lines touched, and a run is one line of float32 where a lone element was a line too. A
/// large layer's sample is about <see cref="SampledRuns"/> runs, a smaller one's a third of its elements (runs three
/// lines apart); the ratio of the two norms over it stays within the bound docs/monitor.md states of the whole layer's
/// (<c>UpdateRatioSampleTests</c>).
/// Weights of one dtype, device and shape are copied by one <c>cat</c> and measured row by row
/// (<see cref="SameShapeBatches"/>), as <see cref="GradientNorms"/> measures gradients: on a deep stack of small layers
/// the calls, not the bytes, were the cost (ten per layer, about 15 µs). The batches, and the strided views a sample is
/// read through, are made once and kept while the same weights are remembered. The weights' norm is taken when the copy
/// is made, while it is still in the cache; and when the call that measures a step also collects (at every step), the
/// copy of the weights after the step it made is the next collection's copy, so the weights are read once, not twice.
/// </summary>
internal sealed class UpdateRatios : IDisposable
{
    /// <summary>
    /// The most elements of one layer whose update is measured whole; a larger layer is sampled. On layers this small a
    /// <c>cat</c> of whole weights (a plain copy) is cheaper than one of their runs (a strided copy set up per layer):
    /// 104 against 170 µs for 64 layers of 64 × 64.
    /// </summary>
    private const int WholeElements = 4096;

    /// <summary>Neighbouring elements in one run of a sample: 64 bytes of float32, one cache line.</summary>
    private const int RunLength = 16;

    /// <summary>The runs a large layer's sample aims at: 4096 elements, one run every row or more of a layer of up to 256 rows.</summary>
    private const int SampledRuns = 256;

    private readonly GradientMonitorOptions options;
    private WeightBatches? batches;
    private (int LayerIndex, string Layer)[] remembered = Array.Empty<(int, string)>();
    private WeightCopy[]? copies;
    private WeightCopy[]? carried;
    private List<Norms> measured = new();

    public UpdateRatios(GradientMonitorOptions options)
    {
        this.options = options;
    }

    /// <summary>
    /// Copies the weights a collection saw, so that the next call can measure what the optimizer did to them.
    /// <paramref name="parameters"/>[i] is the parameter of <paramref name="report"/>'s i-th gradient.
    /// </summary>
    public void Remember(GradientReport report, IReadOnlyList<(PlacedLayer Layer, TrackedParameter Parameter)> parameters)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weights = new List<TrackedParameter>();
        var layers = new List<(int, string)>();
        for (int index = 0; index < report.Parameters.Count; index++)
        {
            var gradient = report.Parameters[index];
            if (gradient.IsWeightMatrix && gradient.Placement != LayerPlacement.Unused && double.IsFinite(gradient.Norm))
            {
                weights.Add(parameters[index].Parameter);
                layers.Add((gradient.LayerIndex, gradient.Layer));
            }
        }

        Release(ref copies);
        remembered = layers.ToArray();
        if (batches is null || !batches.Holds(weights))
        {
            Release(ref carried);
            batches?.Dispose();
            batches = WeightBatches.Of(weights);
        }

        copies = carried ?? batches.Copy();
        carried = null;
    }

    /// <summary>
    /// At the call after a collection: the step has been taken, so the copies become norms (on the device) and go. When
    /// this call collects too, the copy of the weights as they are now is kept for it.
    /// </summary>
    public void MeasureStep(bool collecting)
    {
        Release(ref carried);
        if (copies is null)
        {
            return;
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        DisposeMeasured();
        var after = batches!.Copy(withNorms: collecting);
        for (int batch = 0; batch < copies.Length; batch++)
        {
            var before = copies[batch];
            before.Values.sub_(after[batch].Values);
            using var rows = before.Values.view(batches.Batches[batch].Positions.Length, -1);
            measured.Add(new Norms(batches.Batches[batch].Positions, rows.norm(1).DetachFromDisposeScope(), before.Norms!));
            before.Values.Dispose();
        }

        copies = null;
        if (collecting)
        {
            carried = after;
        }
        else
        {
            WeightCopy.DisposeAll(after);
        }
    }

    /// <summary>Hands the measured norms to the collection's transfer; returns how to read them back.</summary>
    public Func<HostStatistics, IReadOnlyList<UpdateRatio>> Queue(DeviceStatistics statistics)
    {
        var slots = new (int[] Positions, int Update, int Size)[measured.Count];
        for (int index = 0; index < slots.Length; index++)
        {
            slots[index] = (measured[index].Positions, statistics.Add(measured[index].Update), statistics.Add(measured[index].Size));
        }

        var layers = remembered;
        measured = new();
        return values =>
        {
            if (slots.Length == 0)
            {
                return Array.Empty<UpdateRatio>();
            }

            var ratios = new UpdateRatio[layers.Length];
            bool moved = false;
            foreach (var (positions, updateEntry, sizeEntry) in slots)
            {
                var updates = values.Segment(updateEntry);
                var sizes = values.Segment(sizeEntry);
                for (int row = 0; row < positions.Length; row++)
                {
                    var (layerIndex, layer) = layers[positions[row]];
                    ratios[positions[row]] = new UpdateRatio(layerIndex, layer, updates[row] / sizes[row], updates[row], sizes[row]);
                    moved |= updates[row] != 0;
                }
            }

            // A step that moved no weight at all was not taken (a skipped step, or no optimizer between the calls).
            return moved ? ratios : Array.Empty<UpdateRatio>();
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
        Release(ref copies);
        Release(ref carried);
        DisposeMeasured();
        batches?.Dispose();
        batches = null;
    }

    private static void Release(ref WeightCopy[]? held)
    {
        if (held is not null)
        {
            WeightCopy.DisposeAll(held);
            held = null;
        }
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
    /// The distance between the starts of a sampled layer's runs: <see cref="RunLength"/> times the largest odd number
    /// that leaves at least <see cref="SampledRuns"/> runs, and at least 3, so that a sample reads at most a third of the
    /// layer. Odd, so that on a row whose length is a power-of-two multiple of the run the runs step through every block
    /// of columns instead of following the first.
    /// </summary>
    private static long RunSpacing(long elements)
    {
        long blocks = Math.Max(3, elements / (SampledRuns * RunLength));
        return RunLength * (blocks % 2 == 1 ? blocks : blocks - 1);
    }

    /// <summary>The runs of a sampled layer of <paramref name="elements"/>, the last ending within it.</summary>
    private static long Runs(long elements, long spacing) => (elements - RunLength) / spacing + 1;

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>The norms of a batch's update and of its weights before it, one per weight, the weights at these positions of the remembered ones.</summary>
    private sealed record Norms(int[] Positions, Tensor Update, Tensor Size);

    /// <summary>One batch's copy of its weights' sampled elements, and their norms (one per weight) when taken.</summary>
    private sealed record WeightCopy(Tensor Values, Tensor? Norms)
    {
        public static void DisposeAll(WeightCopy[] copies)
        {
            foreach (var copy in copies)
            {
                copy.Values.Dispose();
                copy.Norms?.Dispose();
            }
        }
    }

    /// <summary>
    /// A batch of weights of one dtype, device and shape: their positions among the remembered weights and what is read
    /// of each, runs <paramref name="spacing"/> apart (0: every element).
    /// </summary>
    private sealed class WeightBatch(int[] positions, Tensor[] weights, long spacing, Tensor[]? sampledViews)
    {
        public int[] Positions { get; } = positions;

        /// <summary>
        /// A copy of the weights' sampled elements, one row per weight once viewed as (weights, −1): the weights
        /// themselves where every element is sampled (one <c>cat</c> of same-shaped tensors), their runs otherwise.
        /// TorchSharp's <c>cat</c> of a single tensor returns an alias of it, so a single one is cloned.
        /// </summary>
        public WeightCopy Copy(bool withNorms)
        {
            using var scope = torch.NewDisposeScope();
            var sampled = spacing == 0 ? weights : sampledViews ?? weights.Select(weight => Sampled(weight, spacing)).ToArray();
            var values = sampled.Length == 1 ? sampled[0].clone() : torch.cat(sampled, 0);
            Tensor? norms = null;
            if (withNorms)
            {
                using var rows = values.view(Positions.Length, -1);
                norms = rows.norm(1).DetachFromDisposeScope();
            }

            return new WeightCopy(values.DetachFromDisposeScope(), norms);
        }

        public void Dispose()
        {
            if (sampledViews is not null)
            {
                foreach (var view in sampledViews)
                {
                    view.Dispose();
                }
            }
        }

        /// <summary>The weight's runs as (runs, <see cref="RunLength"/>), in the current dispose scope: a view of a contiguous weight.</summary>
        public static Tensor Sampled(Tensor weight, long spacing)
        {
            using var flat = weight.reshape(-1);
            return flat.unfold(0, RunLength, spacing);
        }
    }

    /// <summary>
    /// How the remembered weights are batched, kept while the same weights are remembered in the same order: grouping
    /// them by shape asks every weight its shape, a call and an array each.
    /// </summary>
    private sealed class WeightBatches : IDisposable
    {
        private readonly TrackedParameter[] weights;

        private WeightBatches(TrackedParameter[] weights, IReadOnlyList<WeightBatch> batches)
        {
            this.weights = weights;
            Batches = batches;
        }

        public IReadOnlyList<WeightBatch> Batches { get; }

        public static WeightBatches Of(IReadOnlyList<TrackedParameter> weights)
        {
            var batches = new List<WeightBatch>();
            var entries = weights.Select((weight, position) => (Position: position, Tensor: (Tensor)weight.Tensor));
            foreach (var shape in SameShapeBatches.Of(entries, entry => entry.Tensor))
            {
                long elements = shape.First().Tensor.numel();
                long spacing = elements <= WholeElements ? 0 : RunSpacing(elements);
                long sampled = spacing == 0 ? elements : Runs(elements, spacing) * RunLength;
                foreach (var group in SameShapeBatches.Chunks(shape, sampled))
                {
                    var tensors = group.Select(entry => entry.Tensor).ToArray();
                    // A view of a contiguous weight reads its elements as they change; a reshape of any other would be a copy.
                    var views = spacing > 0 && tensors.All(tensor => tensor.is_contiguous())
                        ? tensors.Select(tensor => WeightBatch.Sampled(tensor, spacing).DetachFromDisposeScope()).ToArray()
                        : null;
                    batches.Add(new WeightBatch(group.Select(entry => entry.Position).ToArray(), tensors, spacing, views));
                }
            }

            return new WeightBatches(weights.ToArray(), batches);
        }

        /// <summary>True when these batches were made for exactly <paramref name="remembered"/>, in that order.</summary>
        public bool Holds(IReadOnlyList<TrackedParameter> remembered) => remembered.SequenceEqual(weights);

        /// <summary>A copy of every batch's sampled weights, in batch order.</summary>
        public WeightCopy[] Copy(bool withNorms = true) => Batches.Select(batch => batch.Copy(withNorms)).ToArray();

        public void Dispose()
        {
            foreach (var batch in Batches)
            {
                batch.Dispose();
            }
        }
    }
}
