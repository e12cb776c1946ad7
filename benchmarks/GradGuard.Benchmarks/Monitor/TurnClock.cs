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

    /// <summary>Runs <paramref name="turn"/> with the clock running; returns how long it took.</summary>
    public TimeSpan Run(Action turn)
    {
        long started = Stopwatch.GetTimestamp();
        turnStarted = started;
        try
        {
            turn();
        }
        finally
        {
            turnStarted = null;
            elapsed += Stopwatch.GetTimestamp() - started;
        }

        return Stopwatch.GetElapsedTime(started);
    }
}
