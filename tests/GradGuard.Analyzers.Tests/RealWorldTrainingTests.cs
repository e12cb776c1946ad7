using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit.Abstractions;

namespace GradGuard.Analyzers.Tests;

/// <summary>
/// Training code in the shapes public TorchSharp code writes it (RealWorldTraining/*.cs: RNNs written by hand, seq2seq
/// with GRUs, LSTM cells unrolled in forward, L-BFGS closures, gradient accumulation, multi-task heads, GANs, top-level
/// programs), the correct ones among them. Each file is compiled on its own with every GradGuard analyzer, and its GG
/// diagnostics must be exactly the ones its first line expects: <c>// expect: GG0004 GG0006 GG0006</c> or
/// <c>// expect: none</c>. A file that says <c>using GradGuard.TorchSharp;</c> is compiled against the monitor too.
/// </summary>
public class RealWorldTrainingTests
{
    private const string ExpectPrefix = "// expect:";

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(GradientFlowAnalyzer).Assembly.GetTypes()
        .Where(type => typeof(DiagnosticAnalyzer).IsAssignableFrom(type) && !type.IsAbstract && type.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<MetadataReference> FrameworkAndTorchSharp = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
        .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
        .Append(Verify.TorchSharp)
        .ToImmutableArray();

    private readonly ITestOutputHelper output;

    public RealWorldTrainingTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public async Task Every_file_gets_exactly_the_diagnostics_its_first_line_expects()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "RealWorldTraining");
        var files = Directory.GetFiles(folder, "*.cs").Order(StringComparer.Ordinal).ToList();
        var mismatches = new List<string>();
        var results = new List<(string File, List<string> Expected, List<string> Actual)>();
        foreach (var file in files)
        {
            var source = await File.ReadAllTextAsync(file);
            var expected = Expected(source, Path.GetFileName(file));
            var actual = await GradGuardDiagnosticsAsync(Path.GetFileName(file), source, mismatches);
            results.Add((Path.GetFileName(file), expected, actual.Select(diagnostic => diagnostic.Id).Order(StringComparer.Ordinal).ToList()));
            if (!expected.SequenceEqual(results[^1].Actual))
            {
                mismatches.Add($"{Path.GetFileName(file)}: expected [{string.Join(' ', expected)}], got [{string.Join(' ', results[^1].Actual)}]:\n    "
                    + string.Join("\n    ", actual.Select(diagnostic => $"{diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1}: {diagnostic.Id} {diagnostic.GetMessage()}")));
            }
        }

        foreach (var rule in results.SelectMany(result => result.Expected.Concat(result.Actual)).Distinct().Order(StringComparer.Ordinal))
        {
            int expectedFiles = results.Count(result => result.Expected.Contains(rule));
            int reportedFiles = results.Count(result => result.Actual.Contains(rule));
            int agreed = results.Count(result => result.Expected.Contains(rule) && result.Actual.Contains(rule));
            output.WriteLine($"{rule}: files expected {expectedFiles}, reported {reportedFiles}; precision {Ratio(agreed, reportedFiles)}, recall {Ratio(agreed, expectedFiles)}");
        }

        Assert.True(files.Count >= 15, $"expected the real-world-shaped training files, found {files.Count} in {folder}");
        Assert.True(results.Count(result => result.Expected.Count == 0) >= 5, "the suite needs correct code among its files");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static List<string> Expected(string source, string file)
    {
        var firstLine = source.Split('\n')[0].Trim();
        Assert.True(firstLine.StartsWith(ExpectPrefix, StringComparison.Ordinal), $"{file} must start with '{ExpectPrefix} ...'");
        var ids = firstLine[ExpectPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        return ids is ["none"] ? new List<string>() : ids.Order(StringComparer.Ordinal).ToList();
    }

    private static async Task<List<Diagnostic>> GradGuardDiagnosticsAsync(string file, string source, List<string> problems)
    {
        var tree = CSharpSyntaxTree.ParseText(source, path: file);
        var topLevel = tree.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any();
        var references = source.Contains("using GradGuard.TorchSharp;", StringComparison.Ordinal)
            ? FrameworkAndTorchSharp.AddRange(Verify.MonitorReferences)
            : FrameworkAndTorchSharp;
        var compilation = CSharpCompilation.Create(
            Path.GetFileNameWithoutExtension(file),
            new[] { tree },
            references,
            new CSharpCompilationOptions(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        problems.AddRange(compilation.GetDiagnostics()
            .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
            .Select(diagnostic => $"{file} does not compile: {diagnostic}"));
        var diagnostics = await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync();
        problems.AddRange(diagnostics.Where(diagnostic => diagnostic.Id == "AD0001").Select(diagnostic => $"{file}: {diagnostic.GetMessage()}"));
        return diagnostics.Where(diagnostic => diagnostic.Id.StartsWith("GG", StringComparison.Ordinal)).OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).ToList();
    }

    private static string Ratio(int numerator, int denominator) => denominator == 0 ? "n/a" : $"{(double)numerator / denominator:F2}";
}
