using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace GradGuard.Benchmarks;

/// <summary>
/// BenchmarkDotNet in this process: TorchSharp's patched native library and the SDK's analyzers stay loaded,
/// and a run needs no second build.
/// </summary>
internal abstract class InProcessConfig : ManualConfig
{
    protected InProcessConfig(int invocationsPerIteration, int iterations)
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithIterationCount(iterations)
            .WithUnrollFactor(1)
            .WithInvocationCount(invocationsPerIteration));
        // Reports go beside the binaries (ignored by git), not into whatever folder the run started from.
        ArtifactsPath = Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts");
    }
}
