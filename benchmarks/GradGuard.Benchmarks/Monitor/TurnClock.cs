using System.Diagnostics;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// A clock that runs only during its owner's turns: its timestamp is the sum of the turns so far, read from
/// <see cref="Stopwatch"/> while a turn runs. A monitor reading it sees the step its model takes alone, though the
/// harness runs the other variants' steps between two of its calls.
/// </summary>
internal sealed class TurnClock : TimeProvider
{
    private long elapsed;
    private long? turnStarted;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => elapsed + (turnStarted is { } started ? Stopwatch.GetTimestamp() - started : 0);

    /// <summary>Runs <paramref name="turn"/> with the clock running; returns how long it took, as much as the clock moved.</summary>
    public TimeSpan Run(Action turn)
    {
        long started = Stopwatch.GetTimestamp();
        long took = 0;
        turnStarted = started;
        try
        {
            turn();
        }
        finally
        {
            turnStarted = null;
            took = Stopwatch.GetTimestamp() - started;
            elapsed += took;
        }

        return TimeSpan.FromSeconds((double)took / Stopwatch.Frequency);
    }
}
