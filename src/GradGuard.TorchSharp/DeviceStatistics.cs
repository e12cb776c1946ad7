using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The one place where a collection's statistics wait on the model's device, and the one transfer that brings them to
/// the host (a host synchronisation per statistic would stall a GPU once per parameter). The forward hooks queue theirs
/// during the pass and the collection its own afterwards: scalars (0-dimensional) and segments (1-dimensional: a value
/// per unit, per parameter of a batch, per histogram bin). Scalars of one dtype are stacked and segments of one dtype
/// concatenated by one call each, so the number of TorchSharp calls grows with the dtypes, not with the statistics;
/// new signals join the same transfer as more entries. Everything queued is owned here, out of every dispose scope,
/// until <see cref="Clear"/>.
/// </summary>
internal sealed class DeviceStatistics : IDisposable
{
    private readonly List<Tensor> entries = new();
    private readonly List<int> lengths = new();
    private readonly List<ScalarType> dtypes = new();
    private double[] hostValues = Array.Empty<double>();
    private int[] hostOffsets = Array.Empty<int>();
    private int[] hostLengths = Array.Empty<int>();

    /// <summary>Queues a 0-dimensional or 1-dimensional tensor of any numeric or boolean dtype, taking it over, and returns its entry.</summary>
    public int Add(Tensor statistic)
    {
        entries.Add(statistic.DetachFromDisposeScope());
        lengths.Add(statistic.dim() == 0 ? -1 : checked((int)statistic.size(0)));
        dtypes.Add(statistic.dtype);
        return entries.Count - 1;
    }

    public int Count => entries.Count;

    /// <summary>
    /// Copies every queued entry to the host, as float64 (exact for counts below 2⁵³), in one transfer. The copy is
    /// valid until <see cref="Clear"/>: its arrays are kept for the next collection, since on a deep model they hold
    /// thousands of per-unit values, near the size the runtime puts on the large-object heap, which only a full
    /// garbage collection frees. When every entry is float32 (the norms, per-unit maxima and update norms of the default
    /// signals) they travel as float32 and are widened on the host, exactly: a conversion call less, and half the bytes
    /// to allocate and copy.
    /// </summary>
    public HostStatistics CopyToHost()
    {
        var offsets = Reused(ref hostOffsets, entries.Count);
        lengths.CopyTo(Reused(ref hostLengths, entries.Count));
        if (entries.Count == 0)
        {
            return new HostStatistics(hostValues, hostOffsets, hostLengths);
        }

        using var scope = torch.NewDisposeScope();
        var groups = ByDtype();
        var parts = new List<Tensor>(groups.Count);
        int position = 0;
        foreach (var group in groups)
        {
            var pieces = new List<Tensor>(group.Segments.Count + 1);
            if (group.Scalars.Count > 0)
            {
                var scalars = new Tensor[group.Scalars.Count];
                for (int index = 0; index < scalars.Length; index++)
                {
                    scalars[index] = entries[group.Scalars[index]];
                    offsets[group.Scalars[index]] = position++;
                }

                pieces.Add(torch.stack(scalars));
            }

            foreach (int entry in group.Segments)
            {
                pieces.Add(entries[entry]);
                offsets[entry] = position;
                position += lengths[entry];
            }

            var joined = pieces.Count == 1 ? pieces[0] : torch.cat(pieces, 0);
            parts.Add((groups.Count == 1 && group.Dtype == ScalarType.Float32) || group.Dtype == ScalarType.Float64 ? joined : joined.to(ScalarType.Float64));
        }

        using Tensor onHost = (parts.Count == 1 ? parts[0] : torch.cat(parts, 0)).cpu();
        var values = Reused(ref hostValues, position);
        if (onHost.dtype == ScalarType.Float32)
        {
            var floats = MemoryMarshal.Cast<byte, float>(onHost.bytes);
            for (int index = 0; index < floats.Length; index++)
            {
                values[index] = floats[index];
            }
        }
        else
        {
            MemoryMarshal.Cast<byte, double>(onHost.bytes).CopyTo(values);
        }

        return new HostStatistics(hostValues, hostOffsets, hostLengths);
    }

    /// <summary>Disposes everything queued.</summary>
    public void Clear()
    {
        entries.ForEach(tensor => tensor.Dispose());
        entries.Clear();
        lengths.Clear();
        dtypes.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>The array, grown to at least <paramref name="length"/> when it is shorter.</summary>
    private static T[] Reused<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }

        return array;
    }

    private List<(ScalarType Dtype, List<int> Scalars, List<int> Segments)> ByDtype()
    {
        var groups = new List<(ScalarType Dtype, List<int> Scalars, List<int> Segments)>();
        for (int entry = 0; entry < entries.Count; entry++)
        {
            var dtype = dtypes[entry];
            int index = groups.FindIndex(group => group.Dtype == dtype);
            if (index < 0)
            {
                groups.Add((dtype, new List<int>(), new List<int>()));
                index = groups.Count - 1;
            }

            (lengths[entry] < 0 ? groups[index].Scalars : groups[index].Segments).Add(entry);
        }

        return groups;
    }
}

/// <summary>The host copy of a collection's <see cref="DeviceStatistics"/>: each entry's scalar or segment, by entry.</summary>
internal sealed class HostStatistics
{
    private readonly double[] values;
    private readonly int[] offsets;
    private readonly int[] lengths;

    public HostStatistics(double[] values, int[] offsets, int[] lengths)
    {
        this.values = values;
        this.offsets = offsets;
        this.lengths = lengths;
    }

    /// <summary>A scalar entry's value, or a segment's first.</summary>
    public double this[int entry] => values[offsets[entry]];

    /// <summary>The value at a slot: a scalar entry, or one value of a segment.</summary>
    public double this[StatisticSlot slot] => slot.Index < 0 ? this[slot.Entry] : Segment(slot.Entry)[slot.Index];

    /// <summary>A segment entry's values (a scalar's one value).</summary>
    public ReadOnlySpan<double> Segment(int entry) => values.AsSpan(offsets[entry], lengths[entry] < 0 ? 1 : lengths[entry]);
}
