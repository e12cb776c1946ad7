using System.Text;
using System.Text.RegularExpressions;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit.Abstractions;

namespace GradGuard.Analyzers.Tests;

/// <summary>
/// The regression suite: networks in the shapes the public TorchSharp model zoo writes them (tests/RealWorldModels) and
/// training programs in the shapes public TorchSharp code writes them (tests/RealWorldTraining: hand-written RNNs, GRU
/// seq2seq, LSTM cells unrolled in forward, L-BFGS closures, gradient accumulation, GANs, top-level programs), each
/// file's first line listing the diagnostics every GradGuard analyzer must report in it and no others:
/// <c>// expect: none</c>, or <c>// expect: GG0002@31,44 GG0003@14</c> (rule, then the 1-based lines its diagnostics
/// start on; a line listed twice expects two). A file is a case of its own; a folder's files are one case, compiled
/// together. A rule a file does not list must not fire there, so every new rule states its verdict on every model.
/// A case with top-level statements compiles as a program; one that says <c>using GradGuard.TorchSharp;</c> is compiled
/// against the monitor too.
/// </summary>
public sealed partial class RealWorldSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_model_gets_exactly_its_expected_diagnostics()
    {
        var cases = RealWorldModels.Cases().ToList();
        var expected = new List<Finding>();
        var actual = new List<Finding>();
        var problems = new List<string>();
        foreach (var (name, files) in cases)
        {
            var sources = files.Select(path => (Path: path, Text: File.ReadAllText(path))).ToList();
            foreach (var (path, text) in sources)
            {
                expected.AddRange(Expectations(name, path, text, problems));
            }

            actual.AddRange(await Analyze(name, sources, problems));
        }

        var missing = Subtract(expected, actual);
        var unexpected = Subtract(actual, expected);
        output.WriteLine(Report(cases.Count, expected, actual, missing, unexpected));
        problems.AddRange(missing.Select(f => $"missing    {f}"));
        problems.AddRange(unexpected.Select(f => $"unexpected {f}"));

        Assert.True(cases.Count >= 30, $"the suite holds {cases.Count} cases; it is meant to hold at least 30");
        var correct = cases.Count - expected.Select(f => f.Case).Distinct().Count();
        Assert.True(correct >= 10, $"the suite holds {correct} correct cases; precision needs at least 10 that expect nothing");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [GeneratedRegex(@"^// expect: (?:none|(?<rule>[A-Z]+[0-9]+@[0-9]+(?:,[0-9]+)*)(?: (?<rule>[A-Z]+[0-9]+@[0-9]+(?:,[0-9]+)*))*)\s*$")]
    private static partial Regex Header();

    private static IEnumerable<Finding> Expectations(string name, string path, string text, List<string> problems)
    {
        var firstLine = text.Split('\n')[0].TrimEnd('\r');
        var header = Header().Match(firstLine);
        if (!header.Success)
        {
            problems.Add($"{Relative(path)}: the first line must be '// expect: none' or '// expect: GG0002@12,13 GG0003@8', not '{firstLine}'");
            yield break;
        }

        foreach (Capture rule in header.Groups["rule"].Captures)
        {
            var parts = rule.Value.Split('@');
            foreach (var line in parts[1].Split(','))
            {
                yield return new Finding(name, Relative(path), parts[0], int.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    private static async Task<IEnumerable<Finding>> Analyze(string name, IReadOnlyList<(string Path, string Text)> sources, List<string> problems)
    {
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, new CSharpParseOptions(LanguageVersion.Latest), s.Path)).ToList();
        var program = trees.Any(tree => tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any());
        var monitored = sources.Any(s => s.Text.Contains("using GradGuard.TorchSharp;", StringComparison.Ordinal));
        var compilation = CSharpCompilation.Create(
            name,
            trees,
            monitored ? AnalyzerCompilations.References.AddRange(Verify.MonitorReferences) : AnalyzerCompilations.References,
            new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        problems.AddRange(compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{name}: the model does not compile: {d}"));

        var analyzers = compilation.WithAnalyzers(AnalyzerCompilations.Analyzers, new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]), (exception, analyzer, _) => problems.Add($"{name}: {analyzer.GetType().Name} threw {exception}"), concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var diagnostics = await analyzers.GetAnalyzerDiagnosticsAsync();
        return diagnostics
            .Where(d => d.Location.IsInSource)
            .Select(d => new Finding(name, Relative(d.Location.SourceTree!.FilePath), d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1))
            .ToList();
    }

    /// <summary>The findings of <paramref name="from"/> left after taking out one match in <paramref name="taken"/> for each.</summary>
    private static List<Finding> Subtract(IEnumerable<Finding> from, IEnumerable<Finding> taken)
    {
        var left = from.ToList();
        foreach (var finding in taken)
        {
            left.Remove(finding);
        }

        return left;
    }

    /// <summary>
    /// Per rule: diagnostics expected and found, precision and recall over diagnostics, and over cases (a case counts as
    /// flagged by a rule when the rule reports anything in it).
    /// </summary>
    private static string Report(int caseCount, List<Finding> expected, List<Finding> actual, List<Finding> missing, List<Finding> unexpected)
    {
        var text = new StringBuilder();
        text.AppendLine($"{caseCount} cases, {expected.Select(f => f.Case).Distinct().Count()} with expected diagnostics");
        text.AppendLine("rule    expected  found  missing  unexpected  precision  recall  | cases: expected  flagged  precision  recall");
        foreach (var rule in expected.Concat(actual).Select(f => f.Rule).Distinct().Order(StringComparer.Ordinal))
        {
            int Count(IEnumerable<Finding> findings) => findings.Count(f => f.Rule == rule);
            var truePositives = Count(actual) - Count(unexpected);
            var expectedCases = expected.Where(f => f.Rule == rule).Select(f => f.Case).ToHashSet();
            var flaggedCases = actual.Where(f => f.Rule == rule).Select(f => f.Case).ToHashSet();
            var rightCases = flaggedCases.Intersect(expectedCases).Count();
            text.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{rule,-7} {Count(expected),8} {Count(actual),6} {Count(missing),8} {Count(unexpected),11} {Ratio(truePositives, Count(actual)),10} {Ratio(truePositives, Count(expected)),7}  | {expectedCases.Count,14} {flaggedCases.Count,8} {Ratio(rightCases, flaggedCases.Count),10} {Ratio(rightCases, expectedCases.Count),7}"));
        }

        return text.ToString();
    }

    private static string Ratio(int part, int whole) => whole == 0 ? "-" : ((double)part / whole).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    private static string Relative(string path) => Path.GetRelativePath(RealWorldModels.Root, path);

    private sealed record Finding(string Case, string File, string Rule, int Line)
    {
        public override string ToString() => $"{Rule} at {File}:{Line}";
    }
}
