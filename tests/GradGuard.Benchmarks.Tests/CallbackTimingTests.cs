using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using GradGuard.Analyzers;
using GradGuard.Benchmarks.Analyzers;
using GradGuard.Benchmarks.CallbackTiming;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.Tests;

/// <summary>
/// The harness that times GradGuard inside real builds, run by Roslyn in-process: it must report exactly what
/// GradGuard reports, and write what it measured where the build property says.
/// </summary>
public sealed class CallbackTimingTests : IDisposable
{
    private const string ReluStack = TorchSharpTestSource.Usings + """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Sequential body = nn.Sequential(
                nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x) => body.forward(x);
        }

        static class Stacks
        {
            public static Sequential Deep() => nn.Sequential(
                nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(),
                nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 1));
        }
        """;

    private readonly string resultFile = Path.Combine(Path.GetTempPath(), $"gradguard-callback-timing-{Guid.NewGuid():N}.txt");

    [Fact]
    public async Task The_harness_reports_what_GradGuard_reports_and_writes_its_figures()
    {
        var compilation = Compile(ReluStack);

        var direct = await DiagnosticsOf(compilation, new GradientFlowAnalyzer());
        var timed = await DiagnosticsOf(compilation, new CallbackTimedGradientFlowAnalyzer());

        Assert.Contains(direct, diagnostic => diagnostic.Id == "GG0001");
        Assert.Contains(direct, diagnostic => diagnostic.Id == "GG0002");
        Assert.Equal(Described(direct), Described(timed));

        var figures = CallbackTimedGradientFlowAnalyzer.ReadResults(resultFile);
        Assert.InRange(figures["gradguard_callbacks_cpu_ms"], double.Epsilon, figures["compiler_process_cpu_ms"]);
        Assert.InRange(figures["gradguard_callbacks_jit_ms"], 0, double.MaxValue);
        Assert.Equal(Environment.ProcessId, figures["compiler_process_id"]);
    }

    public void Dispose() => File.Delete(resultFile);

    private static CSharpCompilation Compile(string source) => CSharpCompilation.Create(
        "Models",
        new[] { CSharpSyntaxTree.ParseText(source, path: "Models.cs") },
        GeneratedProject.References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static IEnumerable<string> Described(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Select(diagnostic => $"{diagnostic.Id} {diagnostic.Location.GetLineSpan()}").Order();

    private Task<ImmutableArray<Diagnostic>> DiagnosticsOf(Compilation compilation, DiagnosticAnalyzer analyzer) =>
        compilation.WithAnalyzers(
                ImmutableArray.Create(analyzer),
                new AnalyzerOptions(
                    ImmutableArray<AdditionalText>.Empty,
                    new GlobalOptionsProvider($"build_property.{CallbackTimedGradientFlowAnalyzer.ResultFileProperty}", resultFile)))
            .GetAnalyzerDiagnosticsAsync();

    /// <summary>The one global option an MSBuild property made visible to the compiler becomes.</summary>
    private sealed class GlobalOptionsProvider(string key, string value) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(key, value);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.None;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.None;

        private sealed class Options(string? key, string? value) : AnalyzerConfigOptions
        {
            public static readonly Options None = new(null, null);

            public override bool TryGetValue(string name, [NotNullWhen(true)] out string? found)
            {
                found = name == key ? value : null;
                return found is not null;
            }
        }
    }
}
