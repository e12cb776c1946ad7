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
        using var model = nn.Sequential(("fc0", nn.Linear(4, 16)), ("relu0", nn.ReLU()), ("fc1", nn.Linear(16, 16)), ("relu1", nn.ReLU()), ("head", nn.Linear(16, 3)));
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
}
