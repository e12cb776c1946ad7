using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The reductions behind every activation figure, on the tensor's device. Each returns a tensor the caller owns and
/// allocates nothing the size of its input where a reduction can do instead: on the CPU an element-wise temporary the
/// size of a convolution output costs page faults that dwarf the reduction itself.
/// </summary>
internal static class UnitReductions
{
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

    /// <summary>
    /// Each unit's largest value over every other dimension. The dimensions after the unit's are reduced first, over
    /// contiguous memory, then those before it: for a (batch, channels, height, width) output that is twice as fast on
    /// the CPU as one reduction over (0, 2, 3).
    /// </summary>
    public static Tensor PerUnitMaximum(Tensor tensor, long unitDimension) => PerUnit(tensor, unitDimension, (input, dimensions) => input.amax(dimensions));

    /// <summary>Each unit's smallest value over every other dimension, reduced in the same order as <see cref="PerUnitMaximum"/>.</summary>
    public static Tensor PerUnitMinimum(Tensor tensor, long unitDimension) => PerUnit(tensor, unitDimension, (input, dimensions) => input.amin(dimensions));

    /// <summary>
    /// Units whose value was ≤ 0 for every example (and position) of the batch: dead for a rectifier, whose output is
    /// zero exactly where its input is ≤ 0. With no example in the batch no unit was seen alive.
    /// </summary>
    public static Tensor DeadUnitMask(Tensor tensor, long unitDimension) =>
        tensor.numel() == 0
            ? torch.ones(tensor.shape[unitDimension], ScalarType.Bool, tensor.device)
            : PerUnitMaximum(tensor, unitDimension).le(0);

    /// <summary>Units whose |value| was at least <paramref name="threshold"/> for every example of the batch: in a sigmoid's or tanh's flat tail throughout.</summary>
    public static Tensor SaturatedUnitMask(Tensor tensor, long unitDimension, double threshold) =>
        tensor.numel() == 0
            ? torch.zeros(tensor.shape[unitDimension], ScalarType.Bool, tensor.device)
            : PerUnitMinimum(tensor.abs(), unitDimension).ge(threshold);

    /// <summary>Elements with |value| ≥ <paramref name="threshold"/> (DeepDiagnosis's saturation); count_nonzero is several times faster on the CPU than summing the mask.</summary>
    public static Tensor SaturatedElements(Tensor tensor, double threshold) => tensor.abs().ge(threshold).count_nonzero();

    /// <summary>Elements ≤ 0 (DeepDiagnosis's dying-ReLU measure, on a rectifier's input or output alike).</summary>
    public static Tensor NonPositiveElements(Tensor tensor) => tensor.le(0).count_nonzero();

    /// <summary>Elements exactly zero (AUTOTRAINER's dying-ReLU measure, on a weight gradient).</summary>
    public static Tensor ZeroElements(Tensor tensor) => tensor.eq(0).count_nonzero();

    /// <summary>
    /// Rows (output units) of a weight gradient that are exactly zero: units that passed back no gradient for the whole
    /// batch. The largest magnitude is zero exactly when the row is, and reads 7× faster than count_nonzero.
    /// </summary>
    public static Tensor ZeroRowMask(Tensor gradient) => gradient.reshape(gradient.shape[0], -1).abs().amax(new long[] { 1 }).eq(0);

    /// <summary>
    /// 1 when <paramref name="input"/> is <paramref name="function"/> applied to <paramref name="output"/>, element for
    /// element, and the function changed something (an untouched tensor passed on is no activation); 0 otherwise.
    /// Exact equality holds because TorchSharp's functional activations run the same kernels.
    /// </summary>
    public static Tensor IsApplied(Tensor input, Tensor output, Func<Tensor, Tensor> function) =>
        input.eq(function(output)).all().logical_and(input.ne(output).any());

    private static Tensor PerUnit(Tensor tensor, long unitDimension, Func<Tensor, long[], Tensor> reduce)
    {
        long dimensions = tensor.dim();
        if (dimensions < 2)
        {
            return tensor.flatten();
        }

        var inner = Range(unitDimension + 1, dimensions);
        var reduced = inner.Length == 0 ? tensor : reduce(tensor, inner);
        var outer = Range(0, unitDimension);
        return outer.Length == 0 ? reduced : reduce(reduced, outer);
    }

    private static long[] Range(long start, long end)
    {
        var range = new long[Math.Max(0, end - start)];
        for (int index = 0; index < range.Length; index++)
        {
            range[index] = start + index;
        }

        return range;
    }
}
