using System.Text.RegularExpressions;
using GradGuard.Tests.Shared;
using Xunit.Abstractions;

namespace GradGuard.Analyzers.Robustness.Tests;

/// <summary>
/// The regression suite's real-world-shaped models (tests/RealWorldModels), mutated the way edits and mistakes change
/// code: constants turned into zero, negatives and huge numbers, conditions forced either way, lines dropped, skips
/// turned into products, loops turned round. Whatever comes out, legal or not, the analyzers must not throw or hang.
/// (The typed-prefix test cuts the same files.)
/// </summary>
public partial class MutatedModelTests(ITestOutputHelper output)
{
    private const int MutantsPerFile = 8;

    [Fact]
    public async Task Mutated_real_world_models_are_analyzed_without_exception_hang_or_stray_location()
    {
        var problems = new List<string>();
        int runs = 0, diagnostics = 0;
        foreach (var (name, files) in RealWorldModels.Cases())
        {
            var sources = files.Select(File.ReadAllText).ToList();
            for (var fileIndex = 0; fileIndex < sources.Count; fileIndex++)
            {
                var random = new Random(name.Aggregate(fileIndex, (seed, character) => unchecked(seed * 31 + character)));
                for (var mutant = 0; mutant < MutantsPerFile; mutant++)
                {
                    var mutation = Mutations[mutant % Mutations.Length];
                    var mutated = sources.ToList();
                    mutated[fileIndex] = mutation.Apply(sources[fileIndex], random);
                    var run = await AnalyzerHarness.CheckAsync($"{name}#{fileIndex}.{mutation.Name}.{mutant}", mutated, applyFixes: false);
                    problems.AddRange(run.Problems);
                    diagnostics += run.Diagnostics;
                    runs++;
                }
            }
        }

        output.WriteLine($"{runs} mutants of the regression models: {diagnostics} GradGuard diagnostics, {problems.Count} problems.");
        Assert.True(runs >= 30 * MutantsPerFile, $"expected the regression suite's models, mutated {MutantsPerFile} times each; ran {runs}");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static readonly Mutation[] Mutations =
    {
        new("zero-constants", (text, random) => ReplaceSome(Numbers(), text, random, _ => "0")),
        new("negative-constants", (text, random) => ReplaceSome(Numbers(), text, random, match => "-" + match.Value)),
        new("huge-constants", (text, random) => ReplaceSome(Numbers(), text, random, _ => "2147483647")),
        new("conditions-forced", (text, random) => ReplaceSome(Conditions(), text, random, _ => random.Next(2) == 0 ? "if (true || " : "if (false && ")),
        new("lines-dropped", (text, random) => string.Join('\n', text.Split('\n').Where(_ => random.Next(7) != 0))),
        new("skips-to-products", (text, random) => ReplaceSome(Additions(), text, random, _ => " * ")),
        new("loops-turned-round", (text, random) => ReplaceSome(Increments(), text, random, match => match.Value.Replace("++", "--", StringComparison.Ordinal))),
        new("blocks-recursive", (text, random) => ReplaceSome(Creations(), text, random, _ => "new " + FirstClass(text) + "(")),
    };

    /// <summary>Replaces about half of the matches, chosen by <paramref name="random"/>.</summary>
    private static string ReplaceSome(Regex pattern, string text, Random random, Func<Match, string> replacement) =>
        pattern.Replace(text, match => random.Next(2) == 0 ? replacement(match) : match.Value);

    private static string FirstClass(string text) => ClassName().Match(text) is { Success: true } match ? match.Groups[1].Value : "Missing";

    [GeneratedRegex(@"(?<![\w.])\d+(?![\w.])")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"if \(")]
    private static partial Regex Conditions();

    [GeneratedRegex(@" \+ ")]
    private static partial Regex Additions();

    [GeneratedRegex(@"\w+\+\+")]
    private static partial Regex Increments();

    [GeneratedRegex(@"new [A-Z]\w*\(")]
    private static partial Regex Creations();

    [GeneratedRegex(@"class (\w+)")]
    private static partial Regex ClassName();

    private sealed record Mutation(string Name, Func<string, Random, string> Apply);
}
