using System.Diagnostics;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>How long the interleaved comparison of one workload runs, and which variants take part.</summary>
/// <param name="Rounds">Rounds of <see cref="MonitorOverhead.StepsPerRound"/> steps of every variant; each gives one ratio per variant.</param>
/// <param name="WarmupRounds">Untimed rounds first (allocator, thread pool, JIT, the default monitor's first cadence).</param>
/// <param name="Variants">The variants besides <see cref="Instrumentation.Bare"/>.</param>
internal sealed record OverheadSettings(int Rounds, int WarmupRounds, IReadOnlyList<Instrumentation> Variants)
{
    /// <summary>Every variant, naive included: for the two workloads the monitor was first measured on.</summary>
    public static readonly IReadOnlyList<Instrumentation> All = Enum.GetValues<Instrumentation>().Where(variant => variant != Instrumentation.Bare).ToList();

    /// <summary>The monitor's variants and the noise floor, for the shapes.</summary>
    public static readonly IReadOnlyList<Instrumentation> Monitors = All.Where(variant => variant != Instrumentation.Naive).ToList();
}

/// <summary>
/// Times bare and instrumented training steps side by side. BenchmarkDotNet measures one benchmark after the
/// other, and on a shared 2-core machine the background drifts between them by more than the 1% to be
/// resolved. Here the variants take turns round by round, ten steps each, in an order that rotates, and each ratio is
/// the median over rounds of a variant's time in the round divided by the bare time in the same round. A second bare copy
/// is timed like the others, so every run states its own noise floor.
/// </summary>
internal static class MonitorOverhead
{
    /// <summary>Ten, so every round of the every-10th monitor holds exactly one collection.</summary>
    public const int StepsPerRound = 10;

    public static void Run(Workload workload, string prefix, OverheadSettings settings, Summary summary)
    {
        var trainings = settings.Variants.Prepend(Instrumentation.Bare).Select(instrumentation => new InstrumentedTraining(workload, instrumentation)).ToList();
        try
        {
            for (int round = 0; round < settings.WarmupRounds; round++)
            {
                TimeRound(trainings, round);
            }

            var rounds = Enumerable.Range(0, settings.Rounds).Select(round => TimeRound(trainings, round)).ToList();
            summary.Add($"{prefix}.bare.step_ms", Statistics.Median(rounds.Select(seconds => seconds[Instrumentation.Bare])) * 1000 / StepsPerRound, "F2");
            foreach (var training in trainings.Where(training => training.Instrumentation != Instrumentation.Bare))
            {
                string name = $"{prefix}.{FigureName(training.Instrumentation)}";
                summary.AddRatio($"{name}.ratio", rounds.Select(seconds => seconds[training.Instrumentation] / seconds[Instrumentation.Bare]));
                if (training.Monitor is { } monitor)
                {
                    // A cadence longer than a round leaves most rounds without a collection: the ratio of the sums is the share over the run.
                    summary.Add($"{name}.total_ratio", rounds.Sum(seconds => seconds[training.Instrumentation]) / rounds.Sum(seconds => seconds[Instrumentation.Bare]));
                    var cost = monitor.Cost;
                    summary.Add($"{name}.collect_every", cost.CollectEvery);
                    summary.Add($"{name}.self_measured_share", cost.TimeShare ?? double.NaN, "F5");
                }
            }
        }
        finally
        {
            trainings.ForEach(training => training.Dispose());
        }
    }

    /// <summary>
    /// One round: each variant's <see cref="StepsPerRound"/> steps in a row, the variants in an order that rotates from
    /// round to round. In a row, not step by step in turns: the default monitor times the training step as the time
    /// between its own <c>Collect()</c> calls, and with the other variants' steps in between it saw a step several times
    /// longer than its own and chose a cadence too fine for it.
    /// </summary>
    private static Dictionary<Instrumentation, double> TimeRound(List<InstrumentedTraining> trainings, int round)
    {
        var seconds = new Dictionary<Instrumentation, double>();
        for (int turn = 0; turn < trainings.Count; turn++)
        {
            var training = trainings[(round + turn) % trainings.Count];
            long start = Stopwatch.GetTimestamp();
            for (int step = 0; step < StepsPerRound; step++)
            {
                training.Step();
            }

            seconds[training.Instrumentation] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return seconds;
    }

    private static string FigureName(Instrumentation instrumentation) => instrumentation switch
    {
        Instrumentation.BareControl => "bare_control",
        Instrumentation.MonitorEveryStep => "monitor_every_step",
        Instrumentation.MonitorEvery10th => "monitor_every_10th",
        Instrumentation.MonitorDefault => "monitor_default",
        Instrumentation.Naive => "naive",
        _ => throw new ArgumentOutOfRangeException(nameof(instrumentation), instrumentation, null),
    };
}
