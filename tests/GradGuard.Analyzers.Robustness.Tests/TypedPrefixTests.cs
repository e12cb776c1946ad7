using System.Text.RegularExpressions;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit.Abstractions;

namespace GradGuard.Analyzers.Robustness.Tests;

/// <summary>
/// Code as it looks while it is typed: every TorchSharp source in the repository's tests and samples, cut at many
/// points. An analyzer sees these prefixes on every keystroke, so none of them may make it throw or hang.
/// </summary>
public class TypedPrefixTests
{
    private const int CutsPerSource = 24;

    private readonly ITestOutputHelper output;

    public TypedPrefixTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public async Task Every_prefix_of_every_test_and_sample_source_is_analyzed_without_exception_or_hang()
    {
        var sources = RepositorySources().ToList();
        var problems = new List<string>();
        int inputs = 0, diagnostics = 0;
        foreach (var (name, source) in sources)
        {
            foreach (int cut in CutPoints(source.Length))
            {
                var prefix = await AnalyzerHarness.CheckAsync($"{name}@{cut}", new[] { source[..cut] }, applyFixes: false);
                problems.AddRange(prefix.Problems);
                diagnostics += prefix.Diagnostics;
                inputs++;
            }

            var whole = await AnalyzerHarness.CheckAsync(name, new[] { source }, applyFixes: true);
            problems.AddRange(whole.Problems);
            diagnostics += whole.Diagnostics;
            inputs++;
        }

        output.WriteLine($"{inputs} inputs from {sources.Count} sources through {AnalyzerHarness.AnalyzerCount} analyzers: {diagnostics} GradGuard diagnostics, {problems.Count} problems.");
        Assert.True(diagnostics > 0, "the sources include networks GradGuard reports; none was reported");
        Assert.True(sources.Count >= 10, $"expected the repository's TorchSharp sources, found {sources.Count}");
        Assert.Empty(problems);
    }

    /// <summary>Evenly spread cuts plus the end, so short and long sources get the same number of probes.</summary>
    private static IEnumerable<int> CutPoints(int length) =>
        Enumerable.Range(1, CutsPerSource).Select(index => (int)((long)length * index / (CutsPerSource + 1))).Distinct();

    /// <summary>Microsoft.CodeAnalysis.Testing's diagnostic markup, <c>{|GG0001:...|}</c> and <c>[|...|]</c>.</summary>
    private static readonly Regex Markup = new(@"\{\|[A-Za-z0-9]+:|\|\}|\[\||\|\]", RegexOptions.Compiled);

    /// <summary>
    /// The C# files of samples/ and tests/ that use TorchSharp, and the TorchSharp programs that the analyzer
    /// tests hold in string literals, without their markup and with the usings they are compiled with.
    /// </summary>
    private static IEnumerable<(string Name, string Source)> RepositorySources()
    {
        string root = RepositoryRoot.Path;
        var files = new[] { "samples", "tests" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .OrderBy(path => path, StringComparer.Ordinal);
        foreach (string path in files)
        {
            string text = File.ReadAllText(path);
            string name = Path.GetRelativePath(root, path);
            if (text.Contains("TorchSharp", StringComparison.Ordinal) && !path.Contains("Robustness", StringComparison.Ordinal))
            {
                yield return (name, text);
            }

            var literals = CSharpSyntaxTree.ParseText(text).GetRoot().DescendantNodes().OfType<LiteralExpressionSyntax>()
                .Where(literal => literal.IsKind(SyntaxKind.StringLiteralExpression))
                .Select(literal => Markup.Replace(literal.Token.ValueText, ""))
                .Where(value => value.Contains("nn.", StringComparison.Ordinal) || value.Contains("using TorchSharp", StringComparison.Ordinal))
                .Select(value => value.Contains("using TorchSharp", StringComparison.Ordinal) ? value : TorchSharpTestSource.Usings + value);
            int index = 0;
            foreach (string literal in literals)
            {
                yield return ($"{name}#{index++}", literal);
            }
        }
    }
}
