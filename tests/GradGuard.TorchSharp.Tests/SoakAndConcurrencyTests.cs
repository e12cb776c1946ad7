using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class SoakAndConcurrencyTests
{
    private readonly ITestOutputHelper output;

    public SoakAndConcurrencyTests(ITestOutputHelper output) => this.output = output;

    /// <param name="optIn">Every opt-in signal on too: the magnitude histogram (with the distribution) and the NaN search.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ten_thousand_monitored_steps_leave_native_memory_managed_memory_and_live_tensors_flat(bool optIn)
    {
        torch.manual_seed(11);
        using var model = nn.Sequential(
            ("fc0", nn.Linear(16, 32)), ("relu", nn.ReLU()),
            ("fc1", nn.Linear(32, 32)), ("sigmoid", nn.Sigmoid()),
            ("fc2", nn.Linear(32, 32)), ("fc3", nn.Linear(32, 1)));
        using var optimizer = torch.optim.SGD(model.parameters(), 0.01);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "soak", CollectEvery = 1, MeasureGradientHistogram = optIn, LocateNonFinite = optIn });
        using var input = torch.randn(64, 16);
        using var target = torch.randn(64, 1);

        const int Steps = 10_000;
        const int WarmUp = 500;
        Footprint start = default;
        for (int step = 1; step <= Steps; step++)
        {
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                nn.functional.mse_loss(model.call(input), target).backward();
                monitor.ClipGradients(10);
                monitor.Collect();
                optimizer.step();
            }

            if (step == WarmUp)
            {
                start = Footprint.Measure();
            }
        }

        var end = Footprint.Measure();
        output.WriteLine($"after {WarmUp} steps: {start}");
        output.WriteLine($"after {Steps} steps: {end}");

        Assert.Equal(start.LiveTensors, end.LiveTensors);
        Assert.InRange(end.ManagedBytes - start.ManagedBytes, long.MinValue, 4 << 20);
        Assert.InRange(end.ResidentBytes - start.ResidentBytes, long.MinValue, 64 << 20);
    }

    [Fact]
    public void Concurrent_metric_readers_see_every_gauge_from_one_whole_collection()
    {
        torch.manual_seed(12);
        using var model = nn.Sequential(("fc0", nn.Linear(8, 8)), ("relu", nn.ReLU()), ("fc1", nn.Linear(8, 1)));
        // SGD.step() would convert the learning rate to a Scalar per parameter and drop it while libtorch reads it
        // (TorchSharp 0.107); the readers' allocations make a finalizer run mid-call likely, so the step holds its Scalar.
        using var minusLearningRate = (-0.05).ToScalar();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "concurrent", CollectEvery = 1 });
        using var input = torch.randn(32, 8);
        using var target = torch.randn(32, 1);

        var observations = new ConcurrentQueue<double[]>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => new Thread(() => ReadNormsUntil(stop.Token, observations))).ToList();
        readers.ForEach(reader => reader.Start());

        var collected = new List<double[]>();
        for (int step = 0; step < 300; step++)
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            nn.functional.mse_loss(model.call(input), target).backward();
            collected.Add(monitor.Collect()!.Parameters.Select(parameter => parameter.Norm).ToArray());
            using (torch.no_grad())
            {
                foreach (var parameter in model.parameters())
                {
                    parameter.add_(parameter.grad!, alpha: minusLearningRate);
                }
            }
        }

        stop.Cancel();
        Assert.All(readers, reader => Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "a metrics reader did not stop"));

        Assert.NotEmpty(observations);
        Assert.All(observations, observed => Assert.Contains(collected, report => report.SequenceEqual(observed)));
    }

    private static void ReadNormsUntil(CancellationToken stop, ConcurrentQueue<double[]> observations)
    {
        var current = new List<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == GradGuardMetrics.MeterName && instrument.Name == GradGuardMetrics.GradientNormInstrument)
                {
                    meterListener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == GradGuardMetrics.ModelAttribute && Equals(tag.Value, "concurrent"))
                {
                    current.Add(value);
                }
            }
        });
        listener.Start();
        while (!stop.IsCancellationRequested)
        {
            current.Clear();
            listener.RecordObservableInstruments();
            if (current.Count > 0)
            {
                observations.Enqueue(current.ToArray());
            }
        }
    }

    private readonly record struct Footprint(long LiveTensors, long ManagedBytes, long ResidentBytes)
    {
        public static Footprint Measure()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return new Footprint(
                DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount,
                GC.GetTotalMemory(forceFullCollection: true),
                ResidentSetBytes());
        }

        public override string ToString() =>
            $"live tensors {LiveTensors}, managed {ManagedBytes / 1024.0 / 1024:0.0} MiB, resident {ResidentBytes / 1024.0 / 1024:0.0} MiB";

        private static long ResidentSetBytes()
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
    }
}
