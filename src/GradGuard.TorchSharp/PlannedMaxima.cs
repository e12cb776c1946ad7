using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// One tensor on the device that holds the per-unit maxima of every rectifier site and unit mask a plan names, each
/// in a slice of its own. A planned hook reduces into its slice (<c>amax</c> with <c>out</c>), and a pass queues the
/// whole tensor as one segment of the collection's transfer: on a deep narrow MLP a site then costs no output tensor
/// of its own, no piece in the transfer's concatenation and no dispose after it, where those were about as dear as
/// the reduction itself. It is made at the first planned site that writes, in the dtype and on the device of that
/// site's output; a site whose output has another dtype, device or number of units than the pass the plan was
/// learned from gets a tensor of its own, as every site of a pass the plan does not cover does.
/// </summary>
internal sealed class PlannedMaxima : IDisposable
{
    private readonly long[] offsets;
    private readonly long[] units;
    private readonly Tensor?[] slices;
    private Tensor? buffer;
    private ScalarType dtype;
    private DeviceType deviceType;
    private int deviceIndex;
    private int entry = -1;

    public PlannedMaxima(IReadOnlyList<long> slotUnits)
    {
        units = slotUnits.ToArray();
        offsets = new long[units.Length];
        for (int slot = 1; slot < units.Length; slot++)
        {
            offsets[slot] = offsets[slot - 1] + units[slot - 1];
        }

        slices = new Tensor?[units.Length];
    }

    /// <summary>
    /// Writes the maxima of <paramref name="measured"/>'s <paramref name="unitCount"/> units along
    /// <paramref name="unitDimension"/> into <paramref name="slot"/>, queuing the buffer in <paramref name="statistics"/>
    /// the first time in a pass; returns its entry and the slot's offset there, or null where the output does not fit the
    /// slot (the caller then measures it on its own).
    /// </summary>
    public (int Entry, int Offset)? Write(int slot, Tensor measured, long dimensions, long unitDimension, long unitCount, DeviceStatistics statistics)
    {
        if (dimensions < 2 || unitCount != units[slot] || !Fits(measured))
        {
            return null;
        }

        var slice = slices[slot] ??= Buffer.narrow(0, offsets[slot], units[slot]).DetachFromDisposeScope();
        if (UnitReductions.PerUnitMaximum(measured, unitDimension, into: slice) is not { } written)
        {
            return null;
        }

        written.Dispose();
        if (entry < 0)
        {
            // An alias the statistics own and dispose; the buffer itself stays for the next pass.
            entry = statistics.Add(Buffer.alias());
        }

        return (entry, checked((int)offsets[slot]));
    }

    /// <summary>The pass's statistics were cleared: the next pass queues the buffer again.</summary>
    public void PassCleared() => entry = -1;

    public void Dispose()
    {
        foreach (var slice in slices)
        {
            slice?.Dispose();
        }

        Array.Clear(slices);
        buffer?.Dispose();
        buffer = null;
    }

    private Tensor Buffer => buffer!;

    /// <summary>True when <paramref name="measured"/> has the buffer's dtype and device, making the buffer on the first call.</summary>
    private bool Fits(Tensor measured)
    {
        if (buffer is null)
        {
            long length = units.Length == 0 ? 0 : offsets[^1] + units[^1];
            buffer = torch.empty(length, measured.dtype, measured.device).DetachFromDisposeScope();
            (dtype, deviceType, deviceIndex) = (buffer.dtype, buffer.device_type, buffer.device_index);
            return true;
        }

        return measured.dtype == dtype && measured.device_type == deviceType && measured.device_index == deviceIndex;
    }
}
