using BenchmarkDotNet.Attributes;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// BenchmarkDotNet's view of the same training steps <see cref="MonitorOverhead"/> interleaves: full statistics
/// per variant, measured one after the other. Ten invocations per iteration hold one every-10th collection each.
/// </summary>
[Config(typeof(TenStepsPerIteration))]
public class TrainingStepBenchmarks
{
    private readonly Dictionary<Instrumentation, InstrumentedTraining> trainings = new();

    [Params(Workload.DeepMlp, Workload.SmallConvNet)]
    public Workload Workload { get; set; }

    [GlobalSetup]
    public void CreateTrainings()
    {
        // BenchmarkDotNet reports its own error bounds; the interleaved runner's noise control is not needed here.
        foreach (var instrumentation in Enum.GetValues<Instrumentation>().Where(instrumentation => instrumentation != Instrumentation.BareControl))
        {
            trainings[instrumentation] = new InstrumentedTraining(Workload, instrumentation);
        }
    }

    [GlobalCleanup]
    public void DisposeTrainings()
    {
        foreach (var training in trainings.Values)
        {
            training.Dispose();
        }

        trainings.Clear();
    }

    [Benchmark(Baseline = true)]
    public void Bare() => trainings[Instrumentation.Bare].Step();

    [Benchmark]
    public void MonitorEveryStep() => trainings[Instrumentation.MonitorEveryStep].Step();

    [Benchmark]
    public void MonitorEvery10th() => trainings[Instrumentation.MonitorEvery10th].Step();

    [Benchmark]
    public void MonitorDefault() => trainings[Instrumentation.MonitorDefault].Step();

    [Benchmark]
    public void Naive() => trainings[Instrumentation.Naive].Step();

    internal sealed class TenStepsPerIteration : InProcessConfig
    {
        public TenStepsPerIteration() : base(invocationsPerIteration: 10, iterations: 15)
        {
        }
    }
}
