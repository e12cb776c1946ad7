namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// What the cost budget is told, from given clock readings: a collection costs everything the monitor did since the one
/// before (the calls that did not collect and the hooks included) and its share of the garbage collector's pauses, and
/// the training step is the time between two calls without the monitor's.
/// </summary>
public class MonitorClockTests
{
    private static readonly long Millisecond = TimeProvider.System.TimestampFrequency / 1000;

    [Fact]
    public void A_collection_costs_the_calls_and_hooks_since_the_one_before_and_its_share_of_the_collectors_pauses()
    {
        var clock = new MonitorClock(TimeProvider.System);

        // Call 1 collects (0–2 ms) and takes the hooks off (to 3 ms).
        Assert.Null(clock.CallStarted(At(0), hookTicks: 0, hookBytes: 0));
        clock.CollectionTimed(At(2, threadBytes: 1_000, processBytes: 10_000, pausedMs: 0));
        clock.CallEnded(At(3, threadBytes: 1_200, processBytes: 10_500));

        // Call 2 does not collect: 10 ms of training, then 1 ms of the monitor (the update ratio's norms, the hooks put back on).
        Assert.Equal(0.010, clock.CallStarted(At(13, threadBytes: 1_200, processBytes: 20_000), hookTicks: 0, hookBytes: 0)!.Value, 9);
        clock.CallEnded(At(14, threadBytes: 1_500, processBytes: 20_500));

        // Call 3 collects after a pass whose hooks took 2 ms and 100 bytes: 10 ms of training between the calls.
        Assert.Equal(0.010, clock.CallStarted(At(26, threadBytes: 1_600, processBytes: 30_000), hookTicks: 2 * Millisecond, hookBytes: 100)!.Value, 9);
        double collection = clock.CollectionTimed(At(30, threadBytes: 2_600, processBytes: 31_000, pausedMs: 5));

        // Monitor time: 1 ms left of call 1, 1 ms of call 2, 2 ms of hooks, 4 ms of call 3. Monitor bytes: 200 + 300 + 100 + 1 000
        // of the 21 000 the process allocated since call 1's collection, so that share of the 5 ms of pauses.
        Assert.Equal(0.008 + 0.005 * 1_600 / 21_000, collection, 9);
    }

    [Fact]
    public void Without_pauses_or_allocations_a_collection_costs_its_time_alone()
    {
        var clock = new MonitorClock(TimeProvider.System);
        clock.CallStarted(At(0), 0, 0);
        clock.CollectionTimed(At(1));
        clock.CallEnded(At(1));

        clock.CallStarted(At(5), 0, 0);
        Assert.Equal(0.002, clock.CollectionTimed(At(7)), 9);
    }

    private static MonitorClock.Reading At(long milliseconds, long threadBytes = 0, long processBytes = 0, double pausedMs = 0) =>
        new(milliseconds * Millisecond, threadBytes, processBytes, TimeSpan.FromMilliseconds(pausedMs));
}
