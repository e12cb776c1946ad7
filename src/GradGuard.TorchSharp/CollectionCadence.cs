namespace GradGuard.TorchSharp;

/// <summary>
/// Which <see cref="GradientMonitor.Collect"/> calls collect. With <see cref="GradientMonitorOptions.CollectEvery"/> set,
/// every N-th from the first. Otherwise the cadence is chosen to keep the monitor's share of training time within
/// <see cref="GradientMonitorOptions.CostBudget"/>, from what <see cref="MonitorClock"/> timed: the cost of a collection
/// (everything the monitor did since the one before) and of a training step without the monitor (the time between two
/// calls, less the monitor's own).
/// <para>
/// The cadence moves along 1, 2, 5, 10, 20, 50, ..., so a report says "every 20th step", not "every 23rd". It grows at
/// once when the share at the current cadence exceeds the budget, and shrinks only to a cadence at which the share would
/// stay under <see cref="ShrinkMargin"/> of the budget: timings that wander by less than that cannot make it flip back
/// and forth. Both estimates are medians of the latest timings, so one slow step (an evaluation, a checkpoint) moves
/// nothing. The first call always collects, and the estimates leave its collection out: it learns the forward pass and
/// runs code the JIT has not compiled yet. Until a second collection has been timed the cadence stays 1.
/// </para>
/// </summary>
internal sealed class CollectionCadence
{
    /// <summary>A finer cadence is taken only when its share would be at most this fraction of the budget.</summary>
    public const double ShrinkMargin = 0.7;

    private static readonly int[] Multiples = { 1, 2, 5 };

    private readonly double? budget;
    private readonly RollingMedian collections = new(5);
    private readonly RollingMedian steps = new(15);

    public CollectionCadence(int? fixedEvery, double? budget)
    {
        this.budget = fixedEvery is null ? budget : null;
        Every = fixedEvery ?? 1;
    }

    /// <summary>Collect every this many calls.</summary>
    public int Every { get; private set; }

    /// <summary>The step of the latest collection; null before the first.</summary>
    public long? LastCollected { get; private set; }

    /// <summary>What the cadence rests on, as the monitor reports it.</summary>
    public MonitorCost Cost => new(Every, budget, collections.Median * 1000, steps.Median * 1000);

    /// <summary>True when call number <paramref name="step"/> (from 1) collects.</summary>
    public bool Collects(long step) => LastCollected is not { } last || step - last >= Every;

    /// <summary>A training step took <paramref name="seconds"/> without the monitor's own time.</summary>
    public void StepTimed(double seconds) => steps.Add(seconds);

    /// <summary>
    /// Call <paramref name="step"/> collected at a cost of <paramref name="seconds"/>; returns the cadence it was
    /// before when this changed it, null otherwise.
    /// </summary>
    public int? Collected(long step, double seconds)
    {
        bool first = LastCollected is null;
        LastCollected = step;
        if (first)
        {
            return null;
        }

        collections.Add(seconds);
        if (budget is not { } share || collections.Median is not { } collection || steps.Median is not { } training)
        {
            return null;
        }

        int previous = Every;
        int needed = CadenceFor(collection, training, share);
        if (needed > Every)
        {
            Every = needed;
        }
        else if (needed < Every)
        {
            Every = Math.Min(Every, CadenceFor(collection, training, share * ShrinkMargin));
        }

        return Every != previous ? previous : null;
    }

    /// <summary>
    /// The finest cadence of 1, 2, 5, 10, 20, ... at which one collection per cadence steps takes at most
    /// <paramref name="share"/> of the time: c / (N·s + c) ≤ share, so N ≥ (c / s)·(1/share − 1).
    /// </summary>
    public static int CadenceFor(double collectionSeconds, double stepSeconds, double share)
    {
        double needed = stepSeconds > 0 ? collectionSeconds / stepSeconds * (1 / share - 1) : double.PositiveInfinity;
        int cadence = 1;
        for (int decade = 1; decade <= 100_000_000; decade *= 10)
        {
            foreach (int multiple in Multiples)
            {
                cadence = decade * multiple;
                if (cadence >= needed)
                {
                    return cadence;
                }
            }
        }

        return cadence;
    }

    /// <summary>The median of the latest timings: a slow outlier moves it no further than the next timing.</summary>
    private sealed class RollingMedian
    {
        private readonly double[] latest;
        private int count;
        private int next;

        public RollingMedian(int size) => latest = new double[size];

        public double? Median
        {
            get
            {
                if (count == 0)
                {
                    return null;
                }

                var sorted = latest.AsSpan(0, count).ToArray();
                Array.Sort(sorted);
                return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
            }
        }

        public void Add(double value)
        {
            latest[next] = value;
            next = (next + 1) % latest.Length;
            count = Math.Min(count + 1, latest.Length);
        }
    }
}
