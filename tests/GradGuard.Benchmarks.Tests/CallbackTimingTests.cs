using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
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

        class Recurrent : Module<Tensor, Tensor>
        {
            private readonly GRU gru = nn.GRU(8, 8);
            private readonly List<Linear> heads = new() { nn.Linear(8, 1) };
            public Recurrent() : base(nameof(Recurrent)) => RegisterComponents();
            public override Tensor forward(Tensor x) => heads[0].forward(gru.call(x).Item1);
        }

        class Unregistered : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 1);
            public Unregistered() : base(nameof(Unregistered)) { }
            public override Tensor forward(Tensor x) => fc.call(x);
        }

        static class Training
        {
            static void Train(Tensor x, Tensor y)
            {
                var model = new Recurrent();
                var optimizer = torch.optim.Adam(model.parameters());
                nn.functional.mse_loss(model.call(x), y).backward();
                optimizer.step();
                torch.optim.SGD(new Unregistered().parameters(), 0.1);
            }
        }
        """;

    private readonly string resultFile = Path.Combine(Path.GetTempPath(), $"gradguard-callback-timing-{Guid.NewGuid():N}.txt");

    [Fact]
    public async Task The_harness_reports_what_GradGuard_reports_and_writes_its_figures()
    {
        var compilation = Compile(ReluStack);

        var direct = await DiagnosticsOf(compilation, AnalyzerSets.GradGuard());
        var timed = await DiagnosticsOf(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(new CallbackTimedGradGuardAnalyzers()));

        Assert.Equal(new[] { "GG0001", "GG0002", "GG0004", "GG0006", "GG0007" }, direct.Select(diagnostic => diagnostic.Id).Distinct().Order());
        Assert.Equal(Described(direct), Described(timed));

        var figures = CallbackTimedGradGuardAnalyzers.ReadResults(resultFile);
        Assert.InRange(figures["gradguard_callbacks_cpu_ms"], double.Epsilon, figures["compiler_process_cpu_ms"]);
        Assert.InRange(figures["gradguard_callbacks_jit_ms"], 0, double.MaxValue);
        var byAnalyzer = figures.Where(figure => figure.Key.StartsWith("gradguard_callbacks_cpu_ms.", StringComparison.Ordinal)).ToList();
        Assert.Equal(AnalyzerSets.GradGuard().Select(analyzer => "gradguard_callbacks_cpu_ms." + analyzer.GetType().Name).Order(), byAnalyzer.Select(figure => figure.Key).Order());
        Assert.InRange(byAnalyzer.Sum(figure => figure.Value), figures["gradguard_callbacks_cpu_ms"] - 0.05 * byAnalyzer.Count, figures["gradguard_callbacks_cpu_ms"] + 0.05 * byAnalyzer.Count);
        Assert.Equal(Environment.ProcessId, figures["compiler_process_id"]);

        // Without the variable naming a copy on disk, the harness times the GradGuard.Analyzers it carries.
        Assert.Null(Environment.GetEnvironmentVariable(CallbackTimedGradGuardAnalyzers.AnalyzersFileVariable));
        Assert.Equal(0, figures["gradguard_analyzers_from_file"]);
    }

    [Theory]
    [InlineData(BindingFloor.FirstFile)]
    [InlineData(BindingFloor.OwnFile)]
    public async Task A_binding_floor_build_binds_every_member_in_place_of_GradGuard(string way)
    {
        var compilation = Compile(ReluStack);

        var timed = await DiagnosticsOf(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(new CallbackTimedGradGuardAnalyzers()), (BindingFloor.Property, way));

        Assert.Empty(timed);
        var figures = CallbackTimedGradGuardAnalyzers.ReadResults(resultFile);
        // Totals since the process started: another test of this class may have bound members before.
        Assert.InRange(figures["binding_floor_members"], BindingFloor.MembersWithCode(compilation.SyntaxTrees.Single()).Count(), double.MaxValue);
        Assert.InRange(figures["binding_floor_cpu_ms"], double.Epsilon, figures["compiler_process_cpu_ms"]);
    }

    public void Dispose() => File.Delete(resultFile);

    private static CSharpCompilation Compile(string source) => CSharpCompilation.Create(
        "Models",
        new[] { CSharpSyntaxTree.ParseText(source, path: "Models.cs") },
        GeneratedProject.References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static IEnumerable<string> Described(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Select(diagnostic => $"{diagnostic.Id} {diagnostic.Location.GetLineSpan()}").Order();

    private Task<ImmutableArray<Diagnostic>> DiagnosticsOf(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, params (string Property, string Value)[] properties) =>
        compilation.WithAnalyzers(
                analyzers,
                new AnalyzerOptions(
                    ImmutableArray<AdditionalText>.Empty,
                    new GlobalOptionsProvider(properties.Append((Property: CallbackTimedGradGuardAnalyzers.ResultFileProperty, Value: resultFile))
                        .ToDictionary(property => $"build_property.{property.Property}", property => property.Value))))
            .GetAnalyzerDiagnosticsAsync();

    /// <summary>The global options MSBuild properties made visible to the compiler become.</summary>
    private sealed class GlobalOptionsProvider(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.None;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.None;

        private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options None = new(new Dictionary<string, string>());

            public override bool TryGetValue(string name, [NotNullWhen(true)] out string? found) => values.TryGetValue(name, out found);
        }
    }
}
