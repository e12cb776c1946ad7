using GradGuard.Analyzers;
using GradGuard.Tests.Shared;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// GradGuard on the regression suite's real-world-shaped models (tests/RealWorldModels: ResNets, U-Nets, MobileNets,
/// transformers, GANs...) built as one SDK project, as they would sit in an application: GradGuard's share of all
/// analyzers' time in the compiler's own report (<c>ReportAnalyzer</c>, which counts the SDK's default code-analysis
/// rules as well), and its share of the compiler's CPU from the callback timing harness.
/// </summary>
internal static class RealWorldBuild
{
    public static void Run(int builds, Summary summary)
    {
        var sources = Sources();
        using var project = SdkProject.Write("realworld", sources);
        Console.WriteLine($"  {sources.Count} files in {project.Directory}: restore, then {builds} builds with the analyzer report ...");
        project.Restore();

        var analyzer = typeof(GradientFlowAnalyzer).Assembly.Location;
        project.ReportBuild(analyzer);
        var reports = Enumerable.Range(0, builds).Select(_ => project.ReportBuild(analyzer)).ToList();
        summary.Add("realworld.files", sources.Count);
        summary.Add("realworld.gradguard_diagnostics", reports[0].GradGuardDiagnostics);
        summary.Add("realworld.gradguard_reported_ms", Statistics.Median(reports.Select(r => r.GradGuardMilliseconds)), "F0");
        foreach (var name in reports[0].MillisecondsByAnalyzer.Select(entry => entry.Analyzer))
        {
            summary.Add($"realworld.{name}.reported_ms", Statistics.Median(reports.Select(r => r.MillisecondsByAnalyzer.First(entry => entry.Analyzer == name).Milliseconds)), "F0");
        }

        summary.Add("realworld.analyzers_reported_ms", Statistics.Median(reports.Select(r => r.AllAnalyzersMilliseconds)), "F0");
        summary.Add("realworld.gradguard_share_of_analyzers", Statistics.Median(reports.Select(r => r.GradGuardMilliseconds / r.AllAnalyzersMilliseconds)));
        RealBuildOverhead.AddCallbackTimings(project, builds, "realworld", summary);
    }

    /// <summary>The models' files, under Models/ as an application would hold them.</summary>
    public static List<(string Path, string Text)> Sources()
    {
        var models = Path.Combine(RepositoryRoot.Path, "tests", "RealWorldModels");
        return Directory.EnumerateFiles(models, "*.cs", SearchOption.AllDirectories)
            .Select(file => (Path.Combine("Models", Path.GetRelativePath(models, file)), File.ReadAllText(file)))
            .ToList();
    }
}
