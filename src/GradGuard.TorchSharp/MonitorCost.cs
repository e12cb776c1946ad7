namespace GradGuard.TorchSharp;

/// <summary>What the monitor costs, as it times itself, and the cadence it collects at.</summary>
/// <param name="CollectEvery">The monitor collects at every this many <see cref="GradientMonitor.Collect"/> calls: <see cref="GradientMonitorOptions.CollectEvery"/> when set, the cadence chosen within the budget otherwise.</param>
/// <param name="Budget">The share of training time the cadence is chosen to stay within; null when <see cref="GradientMonitorOptions.CollectEvery"/> fixes the cadence or <see cref="GradientMonitorOptions.CostBudget"/> is null.</param>
/// <param name="CollectionMilliseconds">The monitor's time per collection: every <c>Collect()</c> call and forward hook since the collection before, and its share of the garbage collector's pauses; the median of the latest five after the first; null before the second collection.</param>
/// <param name="StepMilliseconds">A training step's time without the monitor's own, between two <c>Collect()</c> calls, the median of the latest fifteen; null before the second call.</param>
public sealed record MonitorCost(int CollectEvery, double? Budget, double? CollectionMilliseconds, double? StepMilliseconds)
{
    /// <summary>The monitor's share of training time at this cadence: one collection every <see cref="CollectEvery"/> steps; null until both times are known.</summary>
    public double? TimeShare => CollectionMilliseconds is { } collection && StepMilliseconds is { } step
        ? collection / (CollectEvery * step + collection)
        : null;
}
