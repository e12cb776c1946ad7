using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Emit;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>What one analysed compilation cost and found.</summary>
/// <param name="Seconds">Parse, bind, analyse and emit, end to end.</param>
/// <param name="AnalyzerSeconds">Execution time of each analyzer, as <c>/p:ReportAnalyzer=true</c> reports it; empty without analyzers.</param>
/// <param name="DiagnosticsById">Analyzer diagnostics found, by id.</param>
internal sealed record AnalyzedCompilation(double Seconds, IReadOnlyDictionary<DiagnosticAnalyzer, double> AnalyzerSeconds, IReadOnlyDictionary<string, int> DiagnosticsById);

/// <summary>
/// Compiles a generated TorchSharp project in-process, as csc does: from source text to an emitted assembly,
/// against the running runtime's framework assemblies and TorchSharp. Everything runs on one thread (no
/// concurrent build, no concurrent analysis), so the comparison is of work done, not of how the 2 cores
/// happen to be shared at that moment, and each analyzer's time is its own.
/// </summary>
internal sealed class GeneratedProject
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        optimizationLevel: OptimizationLevel.Release,
        nullableContextOptions: NullableContextOptions.Enable,
        concurrentBuild: false);

    /// <summary>The framework the benchmark runs on, and TorchSharp: what a compilation of the generated models needs.</summary>
    internal static readonly ImmutableArray<MetadataReference> References = FrameworkAndTorchSharp();

    private readonly IReadOnlyList<string> sources;

    public GeneratedProject(int files)
    {
        sources = Enumerable.Range(0, files).Select(ModelSourceGenerator.File).ToList();
    }

    public int Files => sources.Count;

    /// <summary>
    /// Compiles with <paramref name="analyzers"/> (none: the compiler alone), as a build with them in the project does.
    /// </summary>
    public AnalyzedCompilation Compile(ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        long start = Stopwatch.GetTimestamp();
        var compilation = Parse();
        if (analyzers.IsEmpty)
        {
            Emit(compilation);
            return new AnalyzedCompilation(Stopwatch.GetElapsedTime(start).TotalSeconds, new Dictionary<DiagnosticAnalyzer, double>(), new Dictionary<string, int>());
        }

        var withAnalyzers = OnOneThread(compilation, analyzers);
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        Emit(compilation);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var analyzerSeconds = analyzers.ToDictionary(
            analyzer => analyzer,
            analyzer => withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalSeconds);
        var byId = diagnostics.GroupBy(diagnostic => diagnostic.Id).ToDictionary(group => group.Key, group => group.Count());
        return new AnalyzedCompilation(seconds, analyzerSeconds, byId);
    }

    /// <summary>The compilation analysed as here: on one thread, each analyzer's time logged as <c>ReportAnalyzer</c> logs it.</summary>
    public static CompilationWithAnalyzers OnOneThread(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: false));

    public CSharpCompilation Parse() => Parse($"Generated{sources.Count}", sources.Select((source, index) => ($"Models{index}.cs", source)));

    /// <summary>A compilation of the given files as the generated projects are compiled: the same references and options.</summary>
    public static CSharpCompilation Parse(string name, IEnumerable<(string Path, string Text)> files) => CSharpCompilation.Create(
        name,
        files.Select(file => CSharpSyntaxTree.ParseText(file.Text, ParseOptions, file.Path)),
        References,
        CompilationOptions);

    private static void Emit(CSharpCompilation compilation)
    {
        using var assembly = new MemoryStream();
        EmitResult result = compilation.Emit(assembly);
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).Take(5);
            throw new InvalidOperationException("The generated project does not compile:\n" + string.Join("\n", errors));
        }
    }

    private static ImmutableArray<MetadataReference> FrameworkAndTorchSharp()
    {
        string frameworkDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        var platformAssemblies = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        return platformAssemblies
            .Where(path => path.StartsWith(frameworkDirectory, StringComparison.Ordinal))
            .Append(typeof(global::TorchSharp.torch).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}
