using System.Diagnostics;
using GradGuard.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// What each of the monitor's signals beyond the gradient norms adds to a training step that collects: the update ratio,
/// the loss, the search for where a NaN was born, each gradient's largest magnitude and zero fraction, and its magnitude
/// histogram. Identical models train side by side, one monitor per signal and one with all of them off, taking turns in a rotating order; a signal's figures are its step's extra time
/// over the baseline's in the same round (forward pass, where its hooks run, plus <c>Collect()</c>), and that extra as a
/// share of the baseline's step. The forward and collection are timed apart from the backward pass and the optimizer,
/// whose noise would bury a 0.1% difference.
/// </summary>
internal static class SignalCost
{
    private enum Signal
    {
        Baseline,
        UpdateRatio,
        Loss,
        NonFiniteOrigin,
        Distribution,
        Histogram,
    }

    public static void Run(Workload workload, string prefix, int rounds, Summary summary)
    {
        var trainings = Enum.GetValues<Signal>().Select(signal => new SignalTraining(workload, signal)).ToList();
        try
        {
            trainings.ForEach(training => training.Step());
            var timings = Enumerable.Range(0, rounds).Select(round =>
            {
                var times = new Dictionary<Signal, (double Monitored, double Step)>();
                for (int turn = 0; turn < trainings.Count; turn++)
                {
                    var training = trainings[(round + turn) % trainings.Count];
                    times[training.Signal] = training.Step();
                }

                return times;
            }).ToList();

            foreach (var signal in Enum.GetValues<Signal>().Where(signal => signal != Signal.Baseline))
            {
                string name = $"signals.{prefix}.{Name(signal)}";
                var extra = timings.Select(times => times[signal].Monitored - times[Signal.Baseline].Monitored).ToList();
                summary.Add($"{name}.extra_ms", Statistics.Median(extra) * 1000, "F3");
                summary.AddRatio($"{name}.share", timings.Select(times => (times[signal].Monitored - times[Signal.Baseline].Monitored) / times[Signal.Baseline].Step));
            }

            summary.Add($"signals.{prefix}.step_ms", Statistics.Median(timings.Select(times => times[Signal.Baseline].Step)) * 1000, "F2");
        }
        finally
        {
            trainings.ForEach(training => training.Dispose());
        }
    }

    private static string Name(Signal signal) => signal switch
    {
        Signal.UpdateRatio => "update_ratio",
        Signal.Loss => "loss",
        Signal.NonFiniteOrigin => "nonfinite_origin",
        Signal.Distribution => "distribution",
        Signal.Histogram => "histogram",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
    };

    private sealed class SignalTraining : IDisposable
    {
        private readonly WorkloadInstance workload;
        private readonly optim.Optimizer optimizer;
        private readonly GradientMonitor monitor;

        public SignalTraining(Workload workload, Signal signal)
        {
            this.workload = WorkloadInstance.Create(workload);
            Signal = signal;
            optimizer = optim.SGD(this.workload.Model.parameters(), 1e-3, momentum: 0.9);
            monitor = GradientMonitor.Attach(this.workload.Model, new GradientMonitorOptions
            {
                CollectEvery = 1,
                MeasureUpdateRatios = signal == Signal.UpdateRatio,
                LocateNonFinite = signal == Signal.NonFiniteOrigin,
                MeasureGradientDistribution = signal == Signal.Distribution,
                MeasureGradientHistogram = signal == Signal.Histogram,
            });
        }

        public Signal Signal { get; }

        /// <summary>One training step; returns the seconds of its forward pass and collection together, and of the whole step.</summary>
        public (double Monitored, double Step) Step()
        {
            using var scope = torch.NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            var output = workload.Model.call(workload.Input);
            double forward = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var loss = nn.functional.cross_entropy(output, workload.Labels);
            loss.backward();
            long collecting = Stopwatch.GetTimestamp();
            if (Signal == Signal.Loss)
            {
                monitor.Collect(loss);
            }
            else
            {
                monitor.Collect();
            }

            double collect = Stopwatch.GetElapsedTime(collecting).TotalSeconds;
            optimizer.step();
            return (forward + collect, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        public void Dispose()
        {
            monitor.Dispose();
            optimizer.Dispose();
            workload.Dispose();
        }
    }
}
