using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The bins of a gradient's magnitude histogram (<see cref="GradientMonitorOptions.MeasureGradientHistogram"/>), one
/// octave each: bin 0 holds the exact zeros, bin 1 the magnitudes in (0, 2⁻⁴⁰], bin k the magnitudes in
/// (<see cref="UpperBounds"/>[k − 1], <see cref="UpperBounds"/>[k]], that is (2^(k−42), 2^(k−41)], up to 2⁸, and the last bin everything
/// above 2⁸, infinities and NaN included. Upper bounds are inclusive, as Prometheus's <c>le</c> is, so the published
/// cumulative fractions are what <c>histogram_quantile</c> and Grafana's heatmaps read. 2⁻⁴⁰ (≈ 9e-13) reaches below
/// the first-layer gradients of the deep sigmoid stacks GradGuard diagnoses; 2⁸ = 256 is far above any clipped
/// gradient.
/// </summary>
public static class GradientHistogram
{
    /// <summary>The exponent of the smallest non-zero bound, 2⁻⁴⁰.</summary>
    public const int SmallestExponent = -40;

    /// <summary>The exponent of the largest finite bound, 2⁸.</summary>
    public const int LargestExponent = 8;

    /// <summary>
    /// The exponents a magnitude's bin is clamped to: below 2⁻⁴⁰ (zero included) to bin 1, above 2⁸ to the last. Scalars
    /// held for the process's life, never converted in the call: TorchSharp 0.107 drops a converted Scalar while libtorch
    /// reads it (<see cref="UnitReductions"/>).
    /// </summary>
    private static readonly Scalar LowestBinExponent = ((double)SmallestExponent).ToScalar();
    private static readonly Scalar HighestBinExponent = ((double)LargestExponent + 1).ToScalar();

    /// <summary>From an exponent k (|g| in (2ᵏ⁻¹, 2ᵏ]) to its bin: 2⁻⁴⁰'s is bin 1.</summary>
    private static readonly Scalar ExponentToBin = (1.0 - SmallestExponent).ToScalar();

    /// <summary>The inclusive upper bound of every bin: 0, 2⁻⁴⁰, 2⁻³⁹, ..., 2⁸, +∞ (51 bins).</summary>
    public static IReadOnlyList<double> UpperBounds { get; } = new[] { 0.0 }
        .Concat(Enumerable.Range(SmallestExponent, LargestExponent - SmallestExponent + 1).Select(exponent => Math.ScaleB(1, exponent)))
        .Append(double.PositiveInfinity)
        .ToArray();

    /// <summary>How many bins a histogram has.</summary>
    public static int Bins => UpperBounds.Count;

    /// <summary>
    /// The bin counts of each row of <paramref name="rows"/> (rows × elements), on its device, as one segment of
    /// rows × <see cref="Bins"/> counts. Each magnitude's bin is ⌈log₂|g|⌉, clamped and shifted, in place in one
    /// temporary (log₂ of a power of two is exact, so a bound falls in its own bin); each row's bins are then moved to a
    /// range of their own and one bincount counts all rows. Measured on the CPU, this is four times faster than a
    /// bucketize against the bounds. Exact zeros land in bin 1 (log₂ 0 = −∞); <see cref="Read"/> moves them to bin 0.
    /// </summary>
    internal static Tensor Counts(Tensor rows)
    {
        using var exponents = rows.dtype is ScalarType.Float32 or ScalarType.Float64 ? rows.abs() : rows.to(ScalarType.Float32).abs_();
        exponents.nan_to_num_(double.PositiveInfinity, double.PositiveInfinity).log2_().ceil_().clamp_(LowestBinExponent, HighestBinExponent).add_(ExponentToBin);
        using var bins = exponents.to(ScalarType.Int32);
        if (rows.size(0) > 1)
        {
            using var offsets = torch.arange(0, rows.size(0) * Bins, Bins, ScalarType.Int32, rows.device).unsqueeze(1);
            bins.add_(offsets);
        }

        using var flat = bins.view(-1);
        return flat.bincount(null, rows.size(0) * Bins);
    }

    /// <summary>A row's counts from its range of the host copy, the exact zeros moved from bin 1 to bin 0.</summary>
    internal static long[] Read(ReadOnlySpan<double> counts, long zeros)
    {
        var histogram = new long[Bins];
        for (int bin = 0; bin < Bins; bin++)
        {
            histogram[bin] = (long)counts[bin];
        }

        histogram[1] -= zeros;
        histogram[0] = zeros;
        return histogram;
    }
}
