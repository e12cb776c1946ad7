using GradGuard.TorchSharp;

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
/// resolved. Here the variants take turns step by step, in orders where each follows every other equally often, and
/// each ratio is the median over rounds (ten steps of every variant) of a variant's time in the round divided by the bare
/// time in the same round. A second bare copy is timed like the others, so every run states its own noise floor. Each monitor reads
/// its model's <see cref="TurnClock"/>, so it times its own steps and not the other variants' between two of its calls.
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
            var orders = TurnOrders(trainings.Count);
            for (int round = 0; round < settings.WarmupRounds; round++)
            {
                TimeRound(trainings, orders, round);
            }

            var rounds = Enumerable.Range(settings.WarmupRounds, settings.Rounds).Select(round => TimeRound(trainings, orders, round)).ToList();
            summary.Add($"{prefix}.bare.step_ms", Statistics.Median(rounds.Select(seconds => seconds[Instrumentation.Bare])) * 1000 / StepsPerRound, "F2");
            foreach (var training in trainings.Where(training => training.Instrumentation != Instrumentation.Bare))
            {
                string name = $"{prefix}.{FigureName(training.Instrumentation)}";
                summary.AddRatio($"{name}.ratio", rounds.Select(seconds => seconds[training.Instrumentation] / seconds[Instrumentation.Bare]));
                if (training.Monitor is { } monitor)
                {
                    // A cadence longer than a round leaves most rounds without a collection: the ratio of the sums is the share over the run.
                    summary.Add($"{name}.total_ratio", rounds.Sum(seconds => seconds[training.Instrumentation]) / rounds.Sum(seconds => seconds[Instrumentation.Bare]));
                    AddCost(monitor.Cost, name, summary);
                }
            }
        }
        finally
        {
            trainings.ForEach(training => training.Dispose());
        }
    }

    /// <summary>
    /// One round: <see cref="StepsPerRound"/> steps of every variant, one step of each in turn, the turns of each step in
    /// the next of <paramref name="orders"/> (see <see cref="TurnOrders"/>).
    /// </summary>
    private static Dictionary<Instrumentation, double> TimeRound(List<InstrumentedTraining> trainings, IReadOnlyList<int[]> orders, int round)
    {
        var seconds = trainings.ToDictionary(training => training.Instrumentation, _ => 0.0);
        for (int step = 0; step < StepsPerRound; step++)
        {
            foreach (int turn in orders[(round * StepsPerRound + step) % orders.Count])
            {
                seconds[trainings[turn].Instrumentation] += trainings[turn].Step().TotalSeconds;
            }
        }

        return seconds;
    }

    /// <summary>
    /// The orders of a Williams design for <paramref name="count"/> variants, each row also mirrored: over the rows every
    /// variant follows every other equally often, so the step after an expensive variant, which finds the caches that one
    /// left, falls on each variant alike. A rotation keeps each variant behind the same one nearly always (measured: the
    /// default monitor behind every 10th at 6% over bare on <c>tiny</c>, at a cadence of 500, and the bare control behind
    /// bare, blind to it); shuffled orders balance only on average and widened the bare controls' intervals two- to
    /// three-fold. The rows are chained (<see cref="Chained"/>) so that the step from one row to the next balances too.
    /// </summary>
    internal static IReadOnlyList<int[]> TurnOrders(int count)
    {
        // 0, 1, n-1, 2, n-2, ...: the differences between neighbours take every value once, and so do they in each shift.
        var first = Enumerable.Range(0, count).Select(position => position % 2 == 1 ? (position + 1) / 2 : (count - position / 2) % count).ToArray();
        var shifts = Enumerable.Range(0, count).Select(shift => first.Select(variant => (variant + shift) % count).ToArray()).ToList();
        return Chained(shifts.Concat(shifts.Select(order => order.Reverse().ToArray())).ToList(), count);
    }

    /// <summary>
    /// The rows in an order where each starts with the variant the row before it ended with, the last leading back into
    /// the first, wherever that can be done (with an odd count everywhere; with an even count the rows fall into count / 2
    /// such chains, and only the steps from one chain into the next are not): there a variant follows itself, alike for
    /// every variant. Taken in the order built, the last of one row and the first of the next were always the same pairs,
    /// and the bare control followed the two monitors that collect most at every such step (measured: 1.03–1.04 over bare
    /// on <c>tiny</c>).
    /// </summary>
    private static List<int[]> Chained(List<int[]> rows, int count)
    {
        var leaving = Enumerable.Range(0, count).Select(variant => new Stack<int[]>(rows.Where(row => row[0] == variant))).ToArray();
        var chained = new List<int[]>();
        for (int start = 0; start < count; start++)
        {
            // Hierholzer's algorithm: a circuit through the rows taken as edges from their first variant to their last.
            var circuit = new List<int[]>();
            var path = new Stack<(int Variant, int[]? Row)>();
            path.Push((start, null));
            while (path.TryPeek(out var at))
            {
                if (leaving[at.Variant].TryPop(out var next))
                {
                    path.Push((next[^1], next));
                }
                else
                {
                    path.Pop();
                    if (at.Row is not null)
                    {
                        circuit.Add(at.Row);
                    }
                }
            }

            circuit.Reverse();
            chained.AddRange(circuit);
        }

        return chained;
    }

    /// <summary>
    /// The default monitor on a model that trains alone, on the wall clock, for as many steps as the interleaved run
    /// gave it: the cadence it chooses there is the one the interleaved variant's own clock should lead it to.
    /// </summary>
    public static void RunAlone(Workload workload, string prefix, OverheadSettings settings, Summary summary)
    {
        using var training = new InstrumentedTraining(workload, Instrumentation.MonitorDefault, monitorClock: TimeProvider.System);
        int steps = (settings.WarmupRounds + settings.Rounds) * StepsPerRound;
        var times = Enumerable.Range(0, steps).Select(_ => training.Step().TotalSeconds).ToList();
        string name = $"{prefix}.monitor_default_alone";
        summary.Add($"{name}.step_ms", Statistics.Median(times.Skip(settings.WarmupRounds * StepsPerRound)) * 1000, "F2");
        AddCost(training.Monitor!.Cost, name, summary);
    }

    /// <summary>The cadence a monitor chose, its share, and the step and collection it timed on its clock.</summary>
    private static void AddCost(MonitorCost cost, string name, Summary summary)
    {
        summary.Add($"{name}.collect_every", cost.CollectEvery);
        summary.Add($"{name}.self_measured_share", cost.TimeShare ?? double.NaN, "F5");
        summary.Add($"{name}.seen_step_ms", cost.StepMilliseconds ?? double.NaN, "F3");
        summary.Add($"{name}.seen_collection_ms", cost.CollectionMilliseconds ?? double.NaN, "F3");
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
