using GradGuard.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>One model, its optimizer and one kind of gradient watching: a complete training step at a time.</summary>
internal sealed class InstrumentedTraining : IDisposable
{
    private readonly WorkloadInstance workload;
    private readonly optim.Optimizer optimizer;
    private readonly GradientMonitor? monitor;
    private readonly NaiveGradientWatch? naive;

    /// <param name="optIn">Turn on every opt-in signal of the monitor too (the magnitude histogram, the NaN search).</param>
    /// <param name="monitorClock">The monitor's clock; by default <see cref="Clock"/>, which runs only during this model's steps.</param>
    public InstrumentedTraining(Workload workload, Instrumentation instrumentation, bool optIn = false, TimeProvider? monitorClock = null)
    {
        this.workload = WorkloadInstance.Create(workload);
        Instrumentation = instrumentation;
        // Not Adam: TorchSharp 0.107's Adam grows the process by about 119 MB a step on the deep MLP (measured
        // here; SGD: nothing), and the page faults of that growth would be timed as part of every variant.
        optimizer = optim.SGD(this.workload.Model.parameters(), 1e-3, momentum: 0.9);
        var clock = monitorClock ?? Clock;
        monitor = instrumentation switch
        {
            Instrumentation.MonitorEveryStep => GradientMonitor.Attach(this.workload.Model, Options(1, optIn, clock)),
            Instrumentation.MonitorEvery10th => GradientMonitor.Attach(this.workload.Model, Options(10, optIn, clock)),
            Instrumentation.MonitorDefault => GradientMonitor.Attach(this.workload.Model, Options(null, optIn, clock)),
            _ => null,
        };
        naive = instrumentation == Instrumentation.Naive ? new NaiveGradientWatch(this.workload.Model) : null;
    }

    public Instrumentation Instrumentation { get; }

    /// <summary>
    /// Runs only while <see cref="Step"/> does: where the harness runs several trainings step by step in turns, each
    /// monitor times its own model's step, not the others' steps between two of its calls.
    /// </summary>
    public TurnClock Clock { get; } = new();

    private static GradientMonitorOptions Options(int? collectEvery, bool optIn, TimeProvider clock) =>
        new() { CollectEvery = collectEvery, MeasureGradientHistogram = optIn, LocateNonFinite = optIn, TimeProvider = clock };

    /// <summary>The monitor, for what it says about its own cost; null for the variants without one.</summary>
    public GradientMonitor? Monitor => monitor;

    /// <summary>
    /// Forward, backward, gradient watching, optimizer step, on <see cref="Clock"/>; every tensor of the step is freed
    /// before it returns. Returns how long the step took.
    /// </summary>
    public TimeSpan Step() => Clock.Run(TrainOneStep);

    private void TrainOneStep()
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var output = workload.Model.call(workload.Input);
        var loss = nn.functional.cross_entropy(output, workload.Labels);
        loss.backward();
        monitor?.Collect();
        naive?.Collect();
        optimizer.step();
    }

    public void Dispose()
    {
        monitor?.Dispose();
        naive?.Dispose();
        optimizer.Dispose();
        workload.Dispose();
    }
}
