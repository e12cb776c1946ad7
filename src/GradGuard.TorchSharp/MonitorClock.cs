namespace GradGuard.TorchSharp;

/// <summary>
/// The monitor's own time and the training step's, from readings taken at the start and end of every
/// <see cref="GradientMonitor.Collect"/> call and what the hooks took in between. A collection costs everything the
/// monitor did since the collection before: the calls that did not collect (the update ratio's norms after a
/// collection, putting the hooks back on before the next) count as much as the collecting call and its pass's hooks,
/// since the cadence pays for all of them once per collection. It also costs a share of the garbage collector's pauses
/// over that time, in proportion to the managed memory the monitor allocated among everything the process allocated:
/// a collection's wrappers and lists are collected later, inside some training step, where no timing of the monitor's
/// own would see them. The ticks come from <see cref="GradientMonitorOptions.TimeProvider"/>; the pauses are the
/// collector's own count in real time, which is why that clock must run at the rate of real time too. The share holds
/// when several models train on one thread with a clock each: between two collections of one model the process
/// allocated the other models' bytes as well and paused for them too, in the same proportion.
/// </summary>
internal sealed class MonitorClock
{
    private readonly TimeProvider time;
    private Reading? previousCallEnded;
    private Reading countedUntil;
    private Reading? lastCollection;
    private long ticks;
    private long bytes;

    public MonitorClock(TimeProvider time) => this.time = time;

    /// <summary>The clocks as they read now.</summary>
    public Reading Now() => new(time.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread(), GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration());

    /// <summary>
    /// A call begins at <paramref name="now"/>; since the last call the hooks took <paramref name="hookTicks"/> and
    /// allocated <paramref name="hookBytes"/>. Returns the training step between the two calls without the monitor's
    /// time, in seconds; null at the first call.
    /// </summary>
    public double? CallStarted(Reading now, long hookTicks, long hookBytes)
    {
        ticks += hookTicks;
        bytes += hookBytes;
        countedUntil = now;
        return previousCallEnded is { } ended ? Seconds(now.Ticks - ended.Ticks - hookTicks) : null;
    }

    /// <summary>
    /// The collection's work is done at <paramref name="now"/>: returns, in seconds, what the monitor spent since the
    /// previous collection (what is left of this call counts towards the next one).
    /// </summary>
    public double CollectionTimed(Reading now)
    {
        Count(now);
        double collectorShare = 0;
        if (lastCollection is { } last && now.ProcessBytes > last.ProcessBytes)
        {
            // Clamped: a training loop that calls Collect() from another thread than the last time reads another thread's count.
            collectorShare = (now.Paused - last.Paused).TotalSeconds * Math.Clamp((double)bytes / (now.ProcessBytes - last.ProcessBytes), 0, 1);
        }

        double seconds = Seconds(ticks) + collectorShare;
        ticks = 0;
        bytes = 0;
        lastCollection = now;
        return seconds;
    }

    /// <summary>A call ends at <paramref name="now"/>.</summary>
    public void CallEnded(Reading now)
    {
        Count(now);
        previousCallEnded = now;
    }

    private void Count(Reading now)
    {
        ticks += now.Ticks - countedUntil.Ticks;
        bytes += now.ThreadBytes - countedUntil.ThreadBytes;
        countedUntil = now;
    }

    private double Seconds(long ticks) => (double)ticks / time.TimestampFrequency;

    /// <summary>The clocks the monitor reads on the training thread.</summary>
    /// <param name="Ticks"><see cref="TimeProvider.GetTimestamp"/> of the monitor's clock.</param>
    /// <param name="ThreadBytes">Managed bytes the training thread has allocated.</param>
    /// <param name="ProcessBytes">Managed bytes the process has allocated.</param>
    /// <param name="Paused">The garbage collector's pauses since the process started.</param>
    public readonly record struct Reading(long Ticks, long ThreadBytes, long ProcessBytes, TimeSpan Paused);
}
