using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>Where one statistic lands in the host copy: a scalar entry (<see cref="Index"/> −1) or one value of a segment.</summary>
internal readonly record struct StatisticSlot(int Entry, int Index);

/// <summary>
/// Where one gradient's figures land in the host copy: its norm, and, when measured, the segment entries of its row's
/// smallest and largest element, non-zero count and histogram (−1 when not measured), at the norm's row.
/// </summary>
internal readonly record struct GradientSlots(long Elements, StatisticSlot Norm, int Minima = -1, int Maxima = -1, int NonZero = -1, int Histograms = -1)
{
    /// <summary>The gradient's figures from the host copy.</summary>
    public GradientFigures Read(HostStatistics values)
    {
        if (NonZero < 0)
        {
            return new GradientFigures(values[Norm], null, null, null);
        }

        int row = Norm.Index;
        long zeros = Math.Max(0, Elements - (long)values.Segment(NonZero)[row]);
        long[]? histogram = Histograms >= 0
            ? GradientHistogram.Read(values.Segment(Histograms).Slice(row * GradientHistogram.Bins, GradientHistogram.Bins), zeros)
            : null;
        return new GradientFigures(values[Norm], MaxMagnitude(values.Segment(Minima)[row], values.Segment(Maxima)[row]), Elements == 0 ? 0 : (double)zeros / Elements, histogram);
    }

    /// <summary>The largest |g| from the smallest and largest g, NaN when either is.</summary>
    private static double MaxMagnitude(double minimum, double maximum) =>
        double.IsNaN(minimum) || double.IsNaN(maximum) ? double.NaN : Math.Max(Math.Abs(minimum), Math.Abs(maximum));
}

/// <summary>What a collection read off one gradient.</summary>
internal readonly record struct GradientFigures(double Norm, double? MaxMagnitude, double? ZeroFraction, long[]? Histogram);

/// <summary>
/// Every gradient's L2 norm, and, as the options ask, its largest magnitude and zero fraction (its smallest and largest
/// element and its non-zero count) and its magnitude histogram, in as few TorchSharp calls as the shapes allow. TorchSharp
/// 0.107 has no call that reduces a list of tensors (PyTorch's <c>_foreach_norm</c>), and each call costs microseconds
/// of dispatch, wrapping and disposal whatever its size: on a deep narrow network that, not the bytes, was the
/// monitor's cost. Small gradients of one shape are therefore concatenated by one call and reduced row by row by one
/// call per figure, which gives each the figures its own reductions would (the same kernels over the same contiguous
/// elements); large ones, where reading the bytes dominates and a copy would double it, are reduced alone, as one row.
/// The grouping is worked out once and kept while the gradients keep their dtypes and sizes.
/// </summary>
internal sealed class GradientNorms
{
    /// <summary>Up to this many elements (32 KB of float32) a gradient is cheaper copied into its group than reduced alone: measured on the CPU, 1.3 µs against 5.6 µs at 4096 elements, even at 16384.</summary>
    public const long DefaultBatchedElements = 8192;

    /// <summary>Counts up to this are exact in float32.</summary>
    private const long ExactFloatCount = 1 << 24;

    /// <summary>The dimension a row's reductions run over, made once.</summary>
    private static readonly long[] RowElements = { 1 };

    private readonly long batchedElements;
    private readonly bool distribution;
    private readonly bool histogram;
    private Grouping? grouping;

    public GradientNorms(GradientMonitorOptions options)
    {
        batchedElements = options.BatchedGradientElements;
        distribution = options.MeasureGradientDistribution || options.MeasureGradientHistogram;
        histogram = options.MeasureGradientHistogram;
    }

    /// <summary>Queues the figures of each gradient in <paramref name="statistics"/> and returns where each will be in the host copy.</summary>
    public GradientSlots[] Queue(IReadOnlyList<Tensor> gradients, DeviceStatistics statistics)
    {
        if (grouping is null || !grouping.Fits(gradients))
        {
            grouping = Grouping.Of(gradients, batchedElements);
        }

        var slots = new GradientSlots[gradients.Count];
        foreach (int[] members in grouping.Groups)
        {
            using Tensor joined = torch.cat(members.Select(member => gradients[member]).ToList(), 0);
            using Tensor rows = joined.view(members.Length, -1);
            QueueRows(rows, members, grouping, statistics, slots);
        }

        foreach (int single in grouping.Singles)
        {
            var gradient = gradients[single];
            // Its norm alone is one call on the gradient as it is; the other figures need it as a row (and a dense one).
            if (!distribution || gradient.is_sparse)
            {
                slots[single] = new GradientSlots(grouping.Elements(single), new StatisticSlot(statistics.Add(gradient.norm()), -1));
                continue;
            }

            using Tensor row = gradient.reshape(1, -1);
            QueueRows(row, new[] { single }, grouping, statistics, slots);
        }

        return slots;
    }

    /// <summary>Queues each row's figures, one call per figure for all rows; row i is gradient members[i].</summary>
    private void QueueRows(Tensor rows, int[] members, Grouping grouping, DeviceStatistics statistics, GradientSlots[] slots)
    {
        int norms = statistics.Add(rows.norm(1));
        int minima = -1, maxima = -1, nonZero = -1, histograms = -1;
        if (distribution)
        {
            // amin and amax are vectorised on the CPU (0.04 ms a million elements each, where aminmax and a norm of order
            // ∞ took 2.3 and 2.7); the largest |g| is the larger of their magnitudes, taken on the host.
            minima = statistics.Add(rows.amin(RowElements));
            maxima = statistics.Add(rows.amax(RowElements));
            nonZero = statistics.Add(NonZeroCounts(rows));
        }

        if (histogram)
        {
            histograms = statistics.Add(GradientHistogram.Counts(rows));
        }

        for (int row = 0; row < members.Length; row++)
        {
            slots[members[row]] = new GradientSlots(grouping.Elements(members[row]), new StatisticSlot(norms, row), minima, maxima, nonZero, histograms);
        }
    }

    /// <summary>
    /// Each row's non-zero elements, NaN included, as a sum of signs of magnitudes in one temporary: 0.27 ms a million
    /// elements on the CPU, where count_nonzero took 1.3. Summed in float32, exact up to 2²⁴ elements a row, and in
    /// float64 beyond and for float64 gradients.
    /// </summary>
    private static Tensor NonZeroCounts(Tensor rows)
    {
        using var signs = rows.abs();
        signs.nan_to_num_(1).sign_();
        return signs.sum(RowElements, false, rows.dtype == ScalarType.Float64 || rows.size(1) > ExactFloatCount ? ScalarType.Float64 : ScalarType.Float32);
    }

    /// <summary>Which gradients share a concatenation, for gradients of the dtypes and sizes it was made for.</summary>
    private sealed class Grouping
    {
        private readonly (ScalarType Dtype, long Elements)[] signature;

        private Grouping((ScalarType, long)[] signature, List<int[]> groups, List<int> singles)
        {
            this.signature = signature;
            Groups = groups;
            Singles = singles;
        }

        /// <summary>Gradients of one dtype, device and shape, reduced together.</summary>
        public IReadOnlyList<int[]> Groups { get; }

        /// <summary>Gradients reduced alone: large, alone of their shape, 0-dimensional or sparse.</summary>
        public IReadOnlyList<int> Singles { get; }

        public static Grouping Of(IReadOnlyList<Tensor> gradients, long batchedElements)
        {
            var signature = gradients.Select(Signature).ToArray();
            var singles = new List<int>();
            var batchable = new List<int>();
            for (int index = 0; index < gradients.Count; index++)
            {
                var gradient = gradients[index];
                if (signature[index].Elements > batchedElements || gradient.dim() == 0 || gradient.is_sparse)
                {
                    singles.Add(index);
                }
                else
                {
                    batchable.Add(index);
                }
            }

            var groups = new List<int[]>();
            foreach (var sameShape in SameShapeBatches.Of(batchable, index => gradients[index]))
            {
                var members = sameShape.ToArray();
                if (members.Length == 1)
                {
                    singles.Add(members[0]);
                    continue;
                }

                groups.AddRange(SameShapeBatches.Chunks(members, signature[members[0]].Elements));
            }

            return new Grouping(signature, groups, singles);
        }

        /// <summary>The size of a gradient, as it was when grouped.</summary>
        public long Elements(int index) => signature[index].Elements;

        /// <summary>True while every gradient has the dtype and size it was grouped with (a parameter's gradient keeps its parameter's shape).</summary>
        public bool Fits(IReadOnlyList<Tensor> gradients)
        {
            if (gradients.Count != signature.Length)
            {
                return false;
            }

            for (int index = 0; index < gradients.Count; index++)
            {
                if (Signature(gradients[index]) != signature[index])
                {
                    return false;
                }
            }

            return true;
        }

        private static (ScalarType Dtype, long Elements) Signature(Tensor gradient) => (gradient.dtype, gradient.numel());
    }
}
