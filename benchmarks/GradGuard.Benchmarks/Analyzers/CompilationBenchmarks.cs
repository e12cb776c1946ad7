using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>BenchmarkDotNet's view of the compilations <see cref="AnalyzerOverhead"/> takes turns with.</summary>
[Config(typeof(OneCompilationPerIteration))]
public class CompilationBenchmarks
{
    private GeneratedProject project = null!;
    private ImmutableArray<DiagnosticAnalyzer> gradGuard;
    private ImmutableArray<DiagnosticAnalyzer> sdk;

    [Params(50, 200, 800)]
    public int Files { get; set; }

    [GlobalSetup]
    public void Generate()
    {
        project = new GeneratedProject(Files);
        gradGuard = AnalyzerSets.GradGuard();
        sdk = AnalyzerSets.SdkDefault();
    }

    [Benchmark(Baseline = true)]
    public double Compiler() => project.Compile(ImmutableArray<DiagnosticAnalyzer>.Empty).Seconds;

    [Benchmark]
    public double WithGradGuard() => project.Compile(gradGuard).Seconds;

    [Benchmark]
    public double SdkBuild() => project.Compile(sdk).Seconds;

    [Benchmark]
    public double SdkBuildWithGradGuard() => project.Compile(sdk.AddRange(gradGuard)).Seconds;

    internal sealed class OneCompilationPerIteration : InProcessConfig
    {
        public OneCompilationPerIteration() : base(invocationsPerIteration: 1, iterations: 5)
        {
        }
    }
}
