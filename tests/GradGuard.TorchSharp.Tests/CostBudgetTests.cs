using System.Diagnostics.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// The cadence the monitor chooses within its cost budget: the choice itself from given timings (deterministic), and
/// a monitor timing itself on a model whose step is so short that collecting at every step would cost far more than 1%.
/// </summary>
public class CostBudgetTests
{
    private const double Millisecond = 1e-3;

    [Theory]
    [InlineData(0.001, 0.100, 0.01, 1)]
    [InlineData(0.001, 0.050, 0.01, 2)]
    [InlineData(0.001, 0.010, 0.01, 10)]
    [InlineData(0.001, 0.0098, 0.01, 20)]
    [InlineData(0.030, 0.001, 0.01, 5000)]
    [InlineData(0.001, 0.001, 0.5, 1)]
    public void The_cadence_is_the_finest_of_1_2_5_10_at_which_the_share_stays_within_the_budget(double collection, double step, double budget, int expected)
    {
        int cadence = CollectionCadence.CadenceFor(collection, step, budget);

        Assert.Equal(expected, cadence);
        Assert.True(collection / (cadence * step + collection) <= budget);
    }

    [Fact]
    public void The_first_call_always_collects_and_the_second_too_before_the_cadence_is_chosen()
    {
        var cadence = new CollectionCadence(fixedEvery: null, budget: 0.01);

        Assert.True(cadence.Collects(1));
        Assert.Null(cadence.Collected(1, 50 * Millisecond));
        cadence.StepTimed(1 * Millisecond);
        Assert.True(cadence.Collects(2));
        Assert.Equal(1, cadence.Collected(2, 1 * Millisecond));

        Assert.Equal(100, cadence.Every);
        Assert.False(cadence.Collects(3));
        Assert.True(cadence.Collects(102));
        Assert.Equal(100, cadence.Cost.CollectEvery);
        Assert.Equal(1.0, cadence.Cost.CollectionMilliseconds!.Value, 9);
        Assert.Equal(1.0, cadence.Cost.StepMilliseconds!.Value, 9);
    }

    [Fact]
    public void Timings_that_wander_around_the_boundary_do_not_make_the_cadence_flip()
    {
        var cadence = new CollectionCadence(fixedEvery: null, budget: 0.01);
        cadence.Collected(1, 0);
        var changes = new List<int>();
        long step = 1;
        for (int collection = 0; collection < 200; collection++)
        {
            // A collection of 1 ms ± 30% against a 10 ms step: every 10th is exactly at the budget.
            double wander = 1 + 0.3 * Math.Sin(collection * 0.7);
            for (int call = 0; call < cadence.Every; call++)
            {
                cadence.StepTimed(10 * Millisecond * (1 + 0.2 * Math.Cos(collection + call)));
            }

            step += cadence.Every;
            if (cadence.Collected(step, 1 * Millisecond * wander) is not null)
            {
                changes.Add(cadence.Every);
            }
        }

        // From 1 to its first choice, and at most once more; never back to a cadence it left.
        Assert.True(changes.Count <= 2, $"the cadence changed {changes.Count} times: {string.Join(", ", changes)}");
        Assert.Equal(changes.Order(), changes);
        Assert.InRange(cadence.Every, 10, 20);
    }

    [Fact]
    public void The_cadence_shrinks_again_once_collections_get_much_cheaper_and_one_slow_step_moves_nothing()
    {
        var cadence = new CollectionCadence(fixedEvery: null, budget: 0.01);
        cadence.Collected(1, 0);
        cadence.StepTimed(10 * Millisecond);
        cadence.Collected(2, 5 * Millisecond);
        Assert.Equal(50, cadence.Every);

        long step = 2;
        for (int collection = 0; collection < 5; collection++)
        {
            cadence.StepTimed(10 * Millisecond);
            step += cadence.Every;
            cadence.Collected(step, 0.2 * Millisecond);
        }

        // Every 5th: 0.4% of the time. Every 2nd would be 0.99%, within the budget but not within the margin a shrink needs.
        Assert.Equal(5, cadence.Every);

        cadence.StepTimed(5);
        cadence.Collected(step + 5, 0.2 * Millisecond);
        Assert.Equal(5, cadence.Every);
    }

    [Fact]
    public void Without_a_budget_every_call_collects_and_the_share_is_still_measured()
    {
        var cadence = new CollectionCadence(fixedEvery: null, budget: null);

        var collected = Enumerable.Range(1, 6).Count(step =>
        {
            cadence.StepTimed(1 * Millisecond);
            return cadence.Collects(step) && cadence.Collected(step, 10 * Millisecond) is null;
        });

        Assert.Equal(6, collected);
        Assert.Equal(1, cadence.Every);
        Assert.Null(cadence.Cost.Budget);
        Assert.Equal(10.0 / (1 + 10), cadence.Cost.TimeShare!.Value, 9);
    }

    [Fact]
    public void A_fixed_cadence_is_kept_whatever_it_costs_and_its_share_still_measured()
    {
        var cadence = new CollectionCadence(fixedEvery: 3, budget: 0.01);

        var collected = Enumerable.Range(1, 10).Where(step =>
        {
            cadence.StepTimed(1 * Millisecond);
            return cadence.Collects(step) && cadence.Collected(step, 10 * Millisecond) is null;
        }).ToList();

        Assert.Equal(new[] { 1, 4, 7, 10 }, collected);
        Assert.Equal(3, cadence.Every);
        Assert.Null(cadence.Cost.Budget);
        Assert.Equal(10.0 / (3 * 1 + 10), cadence.Cost.TimeShare!.Value, 9);
    }

    [Fact]
    public void On_a_model_whose_step_is_far_cheaper_than_a_collection_the_monitor_collects_less_often_says_so_and_publishes_its_cadence()
    {
        torch.manual_seed(2);
        using var model = TinyMlp();
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "budgeted" }, logger);
        using var optimizer = torch.optim.SGD(model.parameters(), 0.01);
        using var input = torch.randn(16, 4);
        using var target = torch.randn(16, 3);

        var reports = new List<GradientReport>();
        for (int step = 1; step <= 300; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(input), target).backward();
            if (monitor.Collect() is { } report)
            {
                reports.Add(report);
            }

            optimizer.step();
        }

        Assert.Equal(new long[] { 1, 2 }, reports.Take(2).Select(report => report.Step));
        Assert.Null(reports[0].PreviousStep);
        Assert.True(monitor.Cost.CollectEvery > 1, $"a collection of {monitor.Cost.CollectionMilliseconds} ms against a step of {monitor.Cost.StepMilliseconds} ms was kept at every step");
        Assert.True(reports.Count < 300);
        Assert.All(reports.Skip(1).Zip(reports), pair => Assert.Equal(pair.Second.Step, pair.First.PreviousStep));
        Assert.All(reports.Skip(1), report => Assert.Equal(report.CollectEvery, report.Step - report.PreviousStep!.Value));
        Assert.InRange(monitor.Cost.TimeShare!.Value, 0, 0.01);
        var changed = logger.Entries.Where(entry => entry.EventId.Name == "CollectionCadenceChanged").ToList();
        Assert.NotEmpty(changed);
        Assert.Equal(monitor.Cost.CollectEvery, changed[^1].State["CollectEvery"]);
        Assert.Equal("budgeted", changed[^1].State["Model"]);
        Assert.Equal((double)monitor.Cost.CollectEvery, Observed(GradGuardMetrics.CadenceInstrument, "budgeted"));
        Assert.Equal(monitor.Cost.TimeShare!.Value, Observed(GradGuardMetrics.TimeShareInstrument, "budgeted"));
    }

    [Fact]
    public void On_its_clock_the_cadence_follows_the_step_time_and_the_monitors_own_time()
    {
        torch.manual_seed(2);
        using var model = TinyMlp();
        var clock = new HandClock();
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "clocked", TimeProvider = clock }, logger);
        using var training = new ClockedTraining(model, monitor, clock);

        // A collection of 0.3 s against a step of 100 s: 0.3% of the time at every step.
        var cheap = training.Run(calls: 20, step: TimeSpan.FromSeconds(100), collection: TimeSpan.FromSeconds(0.3));
        Assert.Equal(Enumerable.Range(1, 20).Select(call => (long)call), cheap);
        AssertCost(monitor, every: 1, stepSeconds: 100, collectionSeconds: 0.3);

        // The same collection against a step of 1 s: N ≥ (0.3 / 1)·(1/0.01 − 1) = 29.7, so every 50th. The step's median
        // turns once more than half of the latest steps are short.
        var expensive = training.Run(calls: 150, step: TimeSpan.FromSeconds(1), collection: TimeSpan.FromSeconds(0.3));
        AssertCost(monitor, every: 50, stepSeconds: 1, collectionSeconds: 0.3);
        var gaps = expensive.Zip(expensive.Skip(1), (earlier, later) => later - earlier).ToList();
        Assert.Equal(gaps.Where(gap => gap == 1).Concat(gaps.Where(gap => gap == 50)), gaps);
        Assert.True(gaps.Count(gap => gap == 50) >= 2, $"collected at {string.Join(", ", expensive)}");

        // Long steps again: every step fits once more, within 70% of the budget.
        training.Run(calls: 80, step: TimeSpan.FromSeconds(100), collection: TimeSpan.FromSeconds(0.3));
        AssertCost(monitor, every: 1, stepSeconds: 100, collectionSeconds: 0.3);

        // Long steps, but the collections cost 25 s: N ≥ 0.25 · 99 = 24.75, so every 50th once the collections' median turns.
        training.Run(calls: 10, step: TimeSpan.FromSeconds(100), collection: TimeSpan.FromSeconds(25));
        AssertCost(monitor, every: 50, stepSeconds: 100, collectionSeconds: 25);

        var changes = logger.Entries.Where(entry => entry.EventId.Name == "CollectionCadenceChanged")
            .Select(entry => (Was: (int)entry.State["PreviousCollectEvery"]!, Now: (int)entry.State["CollectEvery"]!)).ToList();
        Assert.Equal(new[] { (1, 50), (50, 1), (1, 50) }, changes);
        Assert.Equal(50.0, Observed(GradGuardMetrics.CadenceInstrument, "clocked"));
        Assert.Equal(monitor.Cost.TimeShare!.Value, Observed(GradGuardMetrics.TimeShareInstrument, "clocked"));
    }

    [Fact]
    public void The_hooks_of_a_collected_pass_are_timed_on_the_monitors_clock_and_count_as_its_own_time()
    {
        torch.manual_seed(2);
        using var model = TinyMlp();
        var clock = new HandClock();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, TimeProvider = clock });
        using var training = new ClockedTraining(model, monitor, clock) { ForwardReadAdvance = TimeSpan.FromSeconds(10) };

        training.Run(calls: 8, step: TimeSpan.FromSeconds(100), collection: TimeSpan.Zero);

        // Every reading in the forward pass moves the clock 10 s, so each timed hook took 10 s and the clock moved as
        // much again between hooks: the hooks' time is the monitor's, the rest of the pass the step's.
        double collection = monitor.Cost.CollectionMilliseconds!.Value / 1000;
        double hooked = Math.Round(collection / 10) * 10;
        Assert.True(hooked >= 10, $"the hooks took {collection} s on a clock that moved 10 s per reading");
        Assert.InRange(collection, hooked, hooked + CollectorAllowance);
        Assert.Equal(100 + hooked, monitor.Cost.StepMilliseconds!.Value / 1000, 9);
    }

    [Fact]
    public void A_monitor_without_a_clock_is_refused_at_attach()
    {
        using var model = nn.Linear(2, 2);

        var error = Assert.Throws<ArgumentNullException>(() => GradientMonitor.Attach(model, new GradientMonitorOptions { TimeProvider = null! }));

        Assert.Equal(nameof(GradientMonitorOptions.TimeProvider), error.ParamName);
        Assert.Contains("GradientMonitorOptions.TimeProvider", error.Message);
    }

    [Fact]
    public void Diagnoses_name_the_step_that_showed_them_and_the_collection_before()
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(2, new float[] { 10, 10 })), ("act", nn.Sigmoid()));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 5 });
        using var input = torch.randn(3, 2);
        var bias = model.named_parameters().Single(entry => entry.name == "fc.bias").parameter;

        var diagnoses = new List<GradientDiagnosis>();
        for (int step = 1; step <= 11; step++)
        {
            using (torch.no_grad())
            {
                bias.fill_(step is 1 or 11 ? 10 : 0);
            }

            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            model.call(input).sum().backward();
            diagnoses.AddRange(monitor.Collect()?.Diagnoses ?? Array.Empty<GradientDiagnosis>());
        }

        Assert.Equal(new (long, long?)[] { (1, null), (11, 6) }, diagnoses.Select(diagnosis => (diagnosis.Step, diagnosis.PreviousStep)));
    }

    /// <summary>
    /// Seconds the collector's pauses may add to a collection: they are counted in real time (a share of milliseconds at
    /// most) beside the hand clock's seconds, so the clock's figures are exact to within this and no more.
    /// </summary>
    private const double CollectorAllowance = 0.05;

    private static nn.Module<Tensor, Tensor> TinyMlp() =>
        nn.Sequential(("fc0", nn.Linear(4, 16)), ("relu0", nn.ReLU()), ("fc1", nn.Linear(16, 16)), ("relu1", nn.ReLU()), ("head", nn.Linear(16, 3)));

    private static void AssertCost(GradientMonitor monitor, int every, double stepSeconds, double collectionSeconds)
    {
        var cost = monitor.Cost;
        Assert.True(every == cost.CollectEvery, $"expected every {every}th step: {cost}");
        Assert.Equal(stepSeconds, cost.StepMilliseconds!.Value / 1000, 9);
        Assert.InRange(cost.CollectionMilliseconds!.Value / 1000, collectionSeconds, collectionSeconds + CollectorAllowance);
        Assert.Equal(cost.CollectionMilliseconds.Value / (every * cost.StepMilliseconds.Value + cost.CollectionMilliseconds.Value), cost.TimeShare!.Value, 12);
    }

    private static double Observed(string instrument, string model)
    {
        double? observed = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (published, meterListener) =>
            {
                if (published.Meter.Name == GradGuardMetrics.MeterName && published.Name == instrument)
                {
                    meterListener.EnableMeasurementEvents(published);
                }
            },
        };
        void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == GradGuardMetrics.ModelAttribute && Equals(tag.Value, model))
                {
                    observed = value;
                }
            }
        }

        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(value, tags));
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Record(value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return observed ?? throw new InvalidOperationException($"{instrument} published nothing for {model}");
    }

    /// <summary>
    /// A clock that moves only when told: by the training step between two calls, by a collecting call's cost from the
    /// call's first reading on (however many readings the call takes), and by a fixed amount per reading while the
    /// forward pass runs. Its ticks are microseconds.
    /// </summary>
    private sealed class HandClock : TimeProvider
    {
        private long now;
        private long pendingCall;

        public override long TimestampFrequency => 1_000_000;

        public long PerReading { get; set; }

        public void Advance(TimeSpan by) => now += Ticks(by);

        /// <summary>The next reading is the call's start; every reading after it sees the call over.</summary>
        public void ChargeNextCall(TimeSpan cost) => pendingCall = Ticks(cost);

        public override long GetTimestamp()
        {
            long reading = now;
            now += pendingCall + PerReading;
            pendingCall = 0;
            return reading;
        }

        public long Ticks(TimeSpan span) => span.Ticks / (TimeSpan.TicksPerSecond / TimestampFrequency);
    }

    /// <summary>Real forward, backward and SGD steps of a model whose monitor reads a <see cref="HandClock"/>.</summary>
    private sealed class ClockedTraining : IDisposable
    {
        private readonly nn.Module<Tensor, Tensor> model;
        private readonly GradientMonitor monitor;
        private readonly HandClock clock;
        private readonly torch.optim.Optimizer optimizer;
        private readonly Tensor input = torch.randn(16, 4);
        private readonly Tensor target = torch.randn(16, 3);
        private long calls;

        public ClockedTraining(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, HandClock clock)
        {
            this.model = model;
            this.monitor = monitor;
            this.clock = clock;
            optimizer = torch.optim.SGD(model.parameters(), 0.01);
        }

        /// <summary>How far each reading of the clock moves it during the forward pass.</summary>
        public TimeSpan ForwardReadAdvance { get; init; }

        /// <summary>
        /// <paramref name="calls"/> steps of <paramref name="step"/> each, and a <c>Collect()</c> after each that costs
        /// <paramref name="collection"/> when it collects (nothing otherwise); returns the steps collected. Which calls
        /// collect is foretold from the cadence the monitor reports, and checked.
        /// </summary>
        public List<long> Run(int calls, TimeSpan step, TimeSpan collection)
        {
            var collected = new List<long>();
            for (int call = 0; call < calls; call++)
            {
                using var scope = torch.NewDisposeScope();
                this.calls++;
                optimizer.zero_grad();
                clock.PerReading = clock.Ticks(ForwardReadAdvance);
                var output = model.call(input);
                clock.PerReading = 0;
                nn.functional.mse_loss(output, target).backward();
                clock.Advance(step);
                bool collects = monitor.LastReport is not { } last || this.calls - last.Step >= monitor.Cost.CollectEvery;
                if (collects)
                {
                    clock.ChargeNextCall(collection);
                }

                var report = monitor.Collect();
                Assert.Equal(collects, report is not null);
                if (report is not null)
                {
                    collected.Add(report.Step);
                }

                optimizer.step();
            }

            return collected;
        }

        public void Dispose()
        {
            optimizer.Dispose();
            input.Dispose();
            target.Dispose();
        }
    }
}
