using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>The loss handed to the collection: recorded as given, diagnosed when non-finite, and spikes found once per episode.</summary>
public class LossTests
{
    /// <summary>Every call collects: these tests count collections, whatever the monitor's cost budget would choose.</summary>
    private static GradientMonitorOptions EveryStep => new() { CollectEvery = 1 };

    [Fact]
    public void The_loss_is_reported_as_given_and_absent_when_not_given()
    {
        using var model = nn.Linear(3, 1);
        using var monitor = GradientMonitor.Attach(model, EveryStep);

        var withLoss = Collect(model, monitor, 0.625f);
        using var input = torch.ones(2, 3);
        var without = TestModels.Step(model, monitor, input);

        Assert.Equal(0.625, withLoss.Loss);
        Assert.Null(without.Loss);
    }

    [Fact]
    public void A_planted_spike_lasting_two_collections_is_diagnosed_once_and_a_later_one_again()
    {
        using var model = nn.Linear(3, 1);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, LossSpikeWindow = 4 });
        float[] losses = { 1.0f, 1.1f, 0.9f, 1.0f, 1.05f, 5.0f, 4.0f, 1.0f, 0.95f, 3.0f };

        var reports = losses.Select(loss => Collect(model, monitor, loss)).ToList();

        var spikes = reports.Select((report, index) => (index, report.Diagnoses.Where(diagnosis => diagnosis.Kind == GradientProblem.LossSpike).ToList()))
            .Where(entry => entry.Item2.Count > 0).ToList();
        Assert.Equal(new[] { 5, 9 }, spikes.Select(entry => entry.index));
        // The window before the first spike holds 1.1, 0.9, 1.0, 1.05 (mean 1.0125); the spikes stayed out of the window
        // before the second, which holds 1.0, 1.05, 1.0, 0.95 (mean 1.0).
        Assert.Equal(5.0 / 1.0125, spikes[0].Item2.Single().Value, 5);
        Assert.Equal(3.0, spikes[1].Item2.Single().Value, 5);
        Assert.Equal(2.0, spikes[0].Item2.Single().Threshold);
    }

    [Fact]
    public void The_z_score_test_finds_a_spike_the_ratio_test_would_not()
    {
        using var model = nn.Linear(3, 1);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, LossSpikeWindow = 4, LossSpikeRatio = null, LossSpikeZScore = 3 });
        float[] losses = { 1.0f, 1.01f, 0.99f, 1.0f, 1.2f };

        var last = losses.Select(loss => Collect(model, monitor, loss)).ToList()[^1];

        // Window 1.0, 1.01, 0.99, 1.0: mean 1.0, population deviation √0.00005; 1.2 lies 0.2 / 0.00707 ≈ 28.3 deviations above.
        var spike = Assert.Single(last.Diagnoses);
        Assert.Equal(GradientProblem.LossSpike, spike.Kind);
        Assert.Equal(0.2 / Math.Sqrt(0.00005), spike.Value, 1);
    }

    [Fact]
    public void A_non_finite_loss_is_diagnosed_at_once_and_stays_out_of_the_window()
    {
        using var model = nn.Linear(3, 1);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, LossSpikeWindow = 2 });

        var reports = new[] { float.NaN, float.PositiveInfinity, 1f, 1f, 1f }.Select(loss => Collect(model, monitor, loss)).ToList();

        var nonFinite = Assert.Single(reports.SelectMany(report => report.Diagnoses));
        Assert.Same(nonFinite, Assert.Single(reports[0].Diagnoses));
        Assert.Equal(GradientProblem.NonFiniteLoss, nonFinite.Kind);
        Assert.Contains("NaN", nonFinite.Message);
    }

    [Fact]
    public void A_loss_with_more_than_one_value_is_refused_before_anything_is_read()
    {
        using var model = nn.Linear(3, 1);
        using var monitor = GradientMonitor.Attach(model, EveryStep);
        using var losses = torch.ones(4);

        var error = Assert.Throws<ArgumentException>(() => monitor.Collect(losses));

        Assert.Contains("[4]", error.Message);
        Assert.Null(monitor.LastReport);
    }

    /// <summary>A backward pass and a collection that hands over <paramref name="loss"/> as the step's loss.</summary>
    private static GradientReport Collect(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, float loss)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        model.call(torch.ones(2, 3)).sum().backward();
        return monitor.Collect(torch.tensor(loss)) ?? throw new InvalidOperationException("The step was not collected.");
    }
}
