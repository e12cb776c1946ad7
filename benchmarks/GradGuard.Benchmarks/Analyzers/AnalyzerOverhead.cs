using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>How long the compile-time comparison runs.</summary>
/// <param name="FileCounts">Sizes of the generated projects, smallest first.</param>
/// <param name="Repetitions">Compilations of each size in each configuration, taking turns; the medians are reported.</param>
internal sealed record AnalyzerSettings(IReadOnlyList<int> FileCounts, int Repetitions);

/// <summary>
/// Compile time of generated TorchSharp projects without and with GradGuard.Analyzers, at several sizes in one
/// run: against the compiler alone, where GradGuard also pays for binding method bodies to operations, and
/// against a default SDK build, whose code-analysis rules bind them anyway. Each analyzer's own execution time
/// per file at each size shows whether it grows linearly.
/// </summary>
internal static class AnalyzerOverhead
{
    public static void Run(AnalyzerSettings settings, Summary summary)
    {
        var gradGuard = AnalyzerSets.GradGuard();
        var sdk = AnalyzerSets.SdkDefault();
        summary.Add("analyzers.gradguard_analyzers", gradGuard.Length);
        summary.Add("analyzers.sdk_default_analyzers", sdk.Length);
        foreach (var analyzer in gradGuard)
        {
            summary.Add($"analyzers.{Name(analyzer)}.rules", string.Join('+', analyzer.SupportedDiagnostics.Select(rule => rule.Id)));
        }

        var configurations = new List<Configuration>
        {
            new("compiler", ImmutableArray<DiagnosticAnalyzer>.Empty),
            new("gradguard", gradGuard),
        };
        if (!sdk.IsEmpty)
        {
            configurations.Add(new("sdk", sdk));
            configurations.Add(new("sdk_gradguard", sdk.AddRange(gradGuard)));
        }

        // Roslyn's own code is jitted on the first compilations; no configuration should pay for that.
        var warmup = new GeneratedProject(settings.FileCounts[0]);
        configurations.ForEach(configuration => warmup.Compile(configuration.Analyzers));

        var gradGuardSecondsPerFile = settings.FileCounts.ToDictionary(
            files => files,
            files => Measure(new GeneratedProject(files), configurations, gradGuard, settings.Repetitions, summary));

        // Time per file at the largest size over time per file at the smallest: 1 when linear, the size ratio when quadratic.
        int smallest = settings.FileCounts[0];
        int largest = settings.FileCounts[^1];
        double growth = gradGuardSecondsPerFile[largest] / gradGuardSecondsPerFile[smallest];
        summary.Add($"analyzers.per_file_growth_n{largest}_over_n{smallest}", growth);
        summary.Add("analyzers.scaling_exponent", 1 + Math.Log(growth) / Math.Log((double)largest / smallest));
    }

    /// <summary>Measures one size in every configuration and returns GradGuard's own execution time per file.</summary>
    private static double Measure(GeneratedProject project, List<Configuration> configurations, ImmutableArray<DiagnosticAnalyzer> gradGuard, int repetitions, Summary summary)
    {
        var results = configurations.ToDictionary(configuration => configuration.Name, _ => new List<AnalyzedCompilation>());
        for (int repetition = 0; repetition < repetitions; repetition++)
        {
            // A rotating order keeps a slow spell of the machine from landing on one configuration only.
            for (int turn = 0; turn < configurations.Count; turn++)
            {
                var configuration = configurations[(repetition + turn) % configurations.Count];
                GC.Collect();
                GC.WaitForPendingFinalizers();
                results[configuration.Name].Add(project.Compile(configuration.Analyzers));
            }
        }

        string prefix = $"analyzers.n{project.Files}";
        var milliseconds = results.ToDictionary(result => result.Key, result => Statistics.Median(result.Value.Select(compilation => compilation.Seconds)) * 1000);
        foreach (var (name, value) in milliseconds)
        {
            summary.Add($"{prefix}.{name}_ms", value, "F0");
        }

        summary.Add($"{prefix}.ratio", milliseconds["gradguard"] / milliseconds["compiler"]);
        if (milliseconds.ContainsKey("sdk"))
        {
            summary.Add($"{prefix}.ratio_over_sdk_build", milliseconds["sdk_gradguard"] / milliseconds["sdk"]);
        }

        var alone = results["gradguard"];
        double gradGuardSeconds = Statistics.Median(alone.Select(compilation => gradGuard.Sum(analyzer => compilation.AnalyzerSeconds[analyzer])));
        summary.Add($"{prefix}.gradguard_execution_ms", gradGuardSeconds * 1000, "F1");
        summary.Add($"{prefix}.gradguard_execution_share", gradGuardSeconds * 1000 / milliseconds["compiler"]);
        summary.Add($"{prefix}.gradguard_us_per_file", gradGuardSeconds * 1e6 / project.Files, "F1");
        foreach (var analyzer in gradGuard)
        {
            summary.Add($"{prefix}.{Name(analyzer)}.ms", Statistics.Median(alone.Select(compilation => compilation.AnalyzerSeconds[analyzer])) * 1000, "F1");
        }

        foreach (var (id, count) in alone[^1].DiagnosticsById.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            summary.Add($"{prefix}.diagnostics.{id}", count);
        }

        return gradGuardSeconds / project.Files;
    }

    private static string Name(DiagnosticAnalyzer analyzer) => analyzer.GetType().Name;

    private sealed record Configuration(string Name, ImmutableArray<DiagnosticAnalyzer> Analyzers);
}
