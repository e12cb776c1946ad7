using GradGuard.TorchSharp;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace GradientFlow;

/// <summary>Settings shared by every configuration of a run.</summary>
public sealed record ExperimentSettings(int Width = 64, int Batch = 128, int Steps = 20, long Seed = 1, double LearningRate = 0.01, int CollectEvery = 1);

/// <summary>What training one configuration showed: every collected report, from the first backward pass to the last.</summary>
public sealed record ExperimentResult(NetworkConfiguration Configuration, IReadOnlyList<GradientReport> History)
{
    /// <summary>Every problem the monitor diagnosed during training, in the order they started.</summary>
    public IEnumerable<GradientDiagnosis> Diagnoses => History.SelectMany(report => report.Diagnoses);

    /// <summary>The report after the first backward pass.</summary>
    public GradientReport First => History[0];

    /// <summary>The report of the last collection: what the monitor's gauges showed when training ended.</summary>
    public GradientReport Last => History[^1];
}

/// <summary>Trains one configuration on synthetic regression data with a GradientMonitor attached.</summary>
public static class Experiment
{
    /// <param name="afterTraining">Runs while the monitor is still attached, so its metrics can be exported.</param>
    public static ExperimentResult Run(NetworkConfiguration configuration, ExperimentSettings settings, ILogger logger, Action<GradientMonitor>? afterTraining = null)
    {
        torch.manual_seed(settings.Seed);
        using var inputs = torch.randn(settings.Batch, settings.Width);
        using var targets = torch.randn(settings.Batch, settings.Width);
        using var model = configuration.Build(settings.Width);
        using var optimizer = torch.optim.SGD(model.parameters(), settings.LearningRate);
        // The histogram is opt-in for its cost; this small run can afford it, and the report draws it.
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = configuration.Name, CollectEvery = settings.CollectEvery, MeasureGradientHistogram = true }, logger);

        var history = new List<GradientReport>();
        for (int step = 0; step < settings.Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(inputs), targets);
            loss.backward();
            var report = monitor.Collect(loss);
            if (report is not null)
            {
                history.Add(report);
            }

            // A NaN or infinite gradient or loss would spread into the weights: such a step is skipped, not taken.
            if (report is { SkipStep: true })
            {
                continue;
            }

            optimizer.step();
        }

        if (history.Count == 0)
        {
            throw new InvalidOperationException("Training ran no collected step; use at least one step.");
        }

        afterTraining?.Invoke(monitor);
        return new ExperimentResult(configuration, history);
    }
}
