using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The reductions behind every activation figure, on the tensor's device. Each returns a tensor the caller owns and
/// allocates nothing the size of its input where a reduction can do instead: on the CPU an element-wise temporary the
/// size of a convolution output costs page faults that dwarf the reduction itself. Per-unit figures stay per unit
/// (a segment of the collection's one transfer) and are counted on the host: a comparison and a sum per site would be
/// two more TorchSharp calls each, and on a small layer a call costs more than the bytes.
/// Comparison operands are Scalars held in <c>using</c> locals, never implicit conversions: TorchSharp 0.107 hands a
/// Scalar's handle to libtorch and drops the object, so a collection triggered by another thread (a metric exporter's)
/// can run its finalizer in the middle of the native call, and libtorch then reads freed memory.
/// </summary>
internal static class UnitReductions
{
    /// <summary>The dimension lists <see cref="PerUnit"/> reduces over, [start, end) for tensors of up to 8 dimensions, made once: a hook allocates none.</summary>
    private static readonly long[][][] Ranges = Enumerable.Range(0, 9)
        .Select(start => Enumerable.Range(0, 9).Select(end => Enumerable.Range(start, Math.Max(0, end - start)).Select(dimension => (long)dimension).ToArray()).ToArray())
        .ToArray();

    /// <summary>The dimension of <paramref name="tensor"/> that indexes units, from the layout of the layer that produced it, or the option's.</summary>
    public static long UnitDimension(Tensor tensor, UnitLayout? layout, int fallback)
    {
        long dimensions = tensor.dim();
        if (dimensions < 2)
        {
            return 0;
        }

        return layout switch
        {
            UnitLayout.Last => dimensions - 1,
            UnitLayout.Channels => 1,
            _ => fallback < 0 ? dimensions - 1 : fallback,
        };
    }

    /// <summary>Units of <paramref name="tensor"/> along <paramref name="unitDimension"/>: every element of a 0- or 1-dimensional tensor.</summary>
    public static long Units(Tensor tensor, long unitDimension) => tensor.dim() < 2 ? tensor.numel() : tensor.size((int)unitDimension);

    /// <summary>
    /// Each unit's largest value over every other dimension: a unit is dead, its value ≤ 0 for every example (and
    /// position) of the batch, exactly when its maximum is ≤ 0, and a NaN maximum is not. The dimensions after the
    /// unit's are reduced first, over contiguous memory, then those before it: for a (batch, channels, height, width)
    /// output that is twice as fast on the CPU as one reduction over (0, 2, 3). Null for an empty batch, where no unit
    /// was seen alive.
    /// </summary>
    public static Tensor? PerUnitMaximum(Tensor tensor, long unitDimension) =>
        tensor.numel() == 0 ? null : PerUnit(tensor, unitDimension, static (input, dimensions) => input.amax(dimensions));

    /// <summary>
    /// Units whose |value| was at least <paramref name="threshold"/> for every example of the batch: in a sigmoid's or
    /// tanh's flat tail throughout. Compared on the device, in the tensor's dtype, as the threshold always was. Null for
    /// an empty batch, where no unit was seen saturated.
    /// </summary>
    public static Tensor? SaturatedUnitMask(Tensor tensor, long unitDimension, double threshold)
    {
        if (tensor.numel() == 0)
        {
            return null;
        }

        using var magnitude = tensor.abs();
        using var smallest = PerUnit(magnitude, unitDimension, static (input, dimensions) => input.amin(dimensions));
        using var limit = threshold.ToScalar();
        return smallest.ge(limit);
    }

    /// <summary>Elements with |value| ≥ <paramref name="threshold"/> (DeepDiagnosis's saturation); count_nonzero is several times faster on the CPU than summing the mask.</summary>
    public static Tensor SaturatedElements(Tensor tensor, double threshold)
    {
        using var magnitude = tensor.abs();
        using var limit = threshold.ToScalar();
        using var saturated = magnitude.ge(limit);
        return saturated.count_nonzero();
    }

    /// <summary>Elements ≤ 0 (DeepDiagnosis's dying-ReLU measure, on a rectifier's input or output alike).</summary>
    public static Tensor NonPositiveElements(Tensor tensor)
    {
        using var zero = 0.ToScalar();
        using var nonPositive = tensor.le(zero);
        return nonPositive.count_nonzero();
    }

    /// <summary>Elements exactly zero (AUTOTRAINER's dying-ReLU measure, on a weight gradient).</summary>
    public static Tensor ZeroElements(Tensor tensor)
    {
        using var zero = 0.ToScalar();
        using var isZero = tensor.eq(zero);
        return isZero.count_nonzero();
    }

    /// <summary>
    /// Each row's (output unit's) largest |value| in a weight gradient: 0 exactly for a unit that passed back no gradient
    /// for the whole batch, and reads 7× faster than count_nonzero.
    /// </summary>
    public static Tensor RowMagnitudes(Tensor gradient)
    {
        using var rows = gradient.reshape(gradient.size(0), -1);
        using var magnitude = rows.abs();
        return magnitude.amax(Range(1, 2));
    }

    /// <summary>
    /// 1 when <paramref name="input"/> is <paramref name="function"/> applied to <paramref name="output"/>, element for
    /// element, and the function changed something (an untouched tensor passed on is no activation); 0 otherwise.
    /// Exact equality holds because TorchSharp's functional activations run the same kernels.
    /// </summary>
    public static Tensor IsApplied(Tensor input, Tensor output, Func<Tensor, Tensor> function)
    {
        using var scope = torch.NewDisposeScope();
        return input.eq(function(output)).all().logical_and(input.ne(output).any()).MoveToOuterDisposeScope();
    }

    private static Tensor PerUnit(Tensor tensor, long unitDimension, Func<Tensor, long[], Tensor> reduce)
    {
        long dimensions = tensor.dim();
        if (dimensions < 2)
        {
            // A copy, not flatten's view of the activation: the statistic waits for the collection, and the model may
            // change the activation in place before then.
            using var flat = tensor.flatten();
            return flat.clone();
        }

        var inner = Range(unitDimension + 1, dimensions);
        var outer = Range(0, unitDimension);
        if (inner.Length == 0)
        {
            return reduce(tensor, outer);
        }

        var reduced = reduce(tensor, inner);
        if (outer.Length == 0)
        {
            return reduced;
        }

        using (reduced)
        {
            return reduce(reduced, outer);
        }
    }

    private static long[] Range(long start, long end) =>
        end < Ranges.Length ? Ranges[start][end] : Enumerable.Range((int)start, (int)Math.Max(0, end - start)).Select(dimension => (long)dimension).ToArray();
}
