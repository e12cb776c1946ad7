using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// How the monitor batches tensors into one TorchSharp call: tensors of one dtype, device and shape are concatenated and
/// reduced row by row (one row each), in chunks whose concatenation stays below <see cref="MaxElements"/>.
/// </summary>
internal static class SameShapeBatches
{
    /// <summary>A batch's concatenation stays below this many elements (4 MB of float32), so it never needs memory of a size that faults pages in anew.</summary>
    public const long MaxElements = 1 << 20;

    /// <summary>The items whose tensors share dtype, device and shape, in the order each kind first appears.</summary>
    public static IEnumerable<IGrouping<(ScalarType Dtype, DeviceType Device, int DeviceIndex, string Shape), TItem>> Of<TItem>(IEnumerable<TItem> items, Func<TItem, Tensor> tensor) =>
        items.GroupBy(item => Kind(tensor(item)));

    /// <summary>One kind's items in batches of rows of <paramref name="rowElements"/> elements, each batch below <see cref="MaxElements"/>.</summary>
    public static IEnumerable<TItem[]> Chunks<TItem>(IEnumerable<TItem> sameShape, long rowElements) =>
        sameShape.Chunk((int)Math.Max(1, MaxElements / Math.Max(1, rowElements)));

    private static (ScalarType Dtype, DeviceType Device, int DeviceIndex, string Shape) Kind(Tensor tensor) =>
        (tensor.dtype, tensor.device_type, tensor.device_index, string.Join('x', tensor.shape));
}
