using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GradGuard.Analyzers;
using GradGuard.Benchmarks.CallbackTiming;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>How long the real-build comparison runs.</summary>
/// <param name="FileCounts">Sizes of the generated projects, smallest first.</param>
/// <param name="Rounds">Builds of each size in each configuration, taking turns; the medians are reported.</param>
/// <param name="CallbackTimingBuilds">Builds of each size with GradGuard's callbacks timed in CPU time; the medians are reported.</param>
internal sealed record RealBuildSettings(IReadOnlyList<int> FileCounts, int Rounds, int CallbackTimingBuilds);

/// <summary>
/// The generated TorchSharp projects as SDK projects on disk, built with <c>dotnet build</c> without and with
/// GradGuard.Analyzers as an analyzer reference, taking turns: the compiler, the SDK's default code-analysis rules
/// and MSBuild exactly as a developer's build runs them. The figure is the <c>Csc</c> task's time, which holds
/// parsing, binding, every analyzer and emit, and nothing of restore or copying.
/// </summary>
internal static partial class RealBuildOverhead
{
    private static readonly string[] BindingFloorWays = { BindingFloor.FirstFile, BindingFloor.OwnFile };

    /// <summary>
    /// Builds in one compiler server before its figures are taken as a long-lived server's: the compiler's CPU per
    /// build fell by half from the second build to the sixth and then held (N = 800: 19.7, 14.3, 13.7, 12.3, 10.3, 9.7 s).
    /// </summary>
    private const int SettledServerBuilds = 7;

    private static readonly IReadOnlyList<string> InformationOnlyAnalyzers = AnalyzerSets.InformationOnlyGradGuard();

    public static void Run(RealBuildSettings settings, Summary summary)
    {
        var analyzerPath = typeof(GradientFlowAnalyzer).Assembly.Location;
        var without = new BuildConfiguration("without_gradguard", Analyzer: null, ReportsNothing: false);
        var with = new BuildConfiguration("with_gradguard", analyzerPath, ReportsNothing: false);

        // The generated models are full of flagged networks (about four warnings a file) and of forward() calls (GG0006,
        // information), and MSBuild logging thousands of diagnostics costs the Csc task time of its own; the same
        // analysis with every threshold out of reach tells the analysis from the logging.
        var reportingNothing = new BuildConfiguration("with_gradguard_reporting_nothing", analyzerPath, ReportsNothing: true);
        var configurations = new[] { without, with, reportingNothing };

        var gradGuardMicrosecondsPerFile = new Dictionary<int, double>();
        foreach (int files in settings.FileCounts)
        {
            using var project = SdkProject.Write($"n{files}", Enumerable.Range(0, files).Select(index => (Path.Combine("Models", $"Model{index}.cs"), ModelSourceGenerator.File(index))));
            Console.WriteLine($"  {files} files in {project.Directory}: restore, then {settings.Rounds} rounds of builds ...");
            project.Restore();

            // The first build of each configuration loads the analyzers and, where the machine has one, starts the
            // compiler server; neither belongs to the figures.
            foreach (var configuration in configurations)
            {
                project.TimedBuild(configuration);
            }

            var times = configurations.ToDictionary(configuration => configuration, _ => new List<double>());
            for (int round = 0; round < settings.Rounds; round++)
            {
                // A rotating order keeps a slow spell of the machine from landing on one configuration only.
                for (int turn = 0; turn < configurations.Length; turn++)
                {
                    var configuration = configurations[(round + turn) % configurations.Length];
                    times[configuration].Add(project.TimedBuild(configuration));
                }
            }

            // One more build, untimed, for the compiler's own account of GradGuard's time and the diagnostics found.
            var report = project.ReportBuild(analyzerPath);
            string prefix = $"build.n{files}";
            foreach (var configuration in configurations)
            {
                summary.Add($"{prefix}.{configuration.Name}_csc_ms", Statistics.Median(times[configuration]), "F0");
            }

            summary.AddRatio($"{prefix}.ratio", RoundByRound(times[with], times[without]));
            summary.AddRatio($"{prefix}.reporting_nothing_ratio", RoundByRound(times[reportingNothing], times[without]));
            summary.Add($"{prefix}.gradguard_reported_ms", report.GradGuardMilliseconds, "F0");
            foreach (var (analyzer, milliseconds) in report.MillisecondsByAnalyzer)
            {
                summary.Add($"{prefix}.{analyzer}.reported_ms", milliseconds, "F0");
            }

            summary.Add($"{prefix}.analyzers_reported_ms", report.AllAnalyzersMilliseconds, "F0");
            summary.Add($"{prefix}.gradguard_diagnostics", report.GradGuardDiagnostics);
            gradGuardMicrosecondsPerFile[files] = report.GradGuardMilliseconds * 1000 / files;
            summary.Add($"{prefix}.gradguard_us_per_file", gradGuardMicrosecondsPerFile[files], "F0");
            AddCallbackTimings(project, settings.CallbackTimingBuilds, prefix, summary);
        }

        int smallest = settings.FileCounts[0];
        int largest = settings.FileCounts[^1];
        if (largest > smallest)
        {
            double growth = gradGuardMicrosecondsPerFile[largest] / gradGuardMicrosecondsPerFile[smallest];
            summary.Add("build.scaling_exponent", 1 + Math.Log(growth) / Math.Log((double)largest / smallest));
        }
    }

    /// <summary>
    /// GradGuard's share of the compiler's CPU time, both measured inside the same build: free of the scatter between
    /// builds that the ratios above have to average away, so it resolves a percent where they cannot. Measured in a
    /// compiler started for each build, as on this machine, where every build also JIT-compiles GradGuard's code, and
    /// in a warm compiler server, as on a developer's machine, where only the first build does.
    /// </summary>
    internal static void AddCallbackTimings(SdkProject project, int builds, string prefix, Summary summary)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("  GradGuard's callbacks are timed with Linux's per-thread CPU clock; skipped on this system.");
            return;
        }

        var fresh = Enumerable.Range(0, builds).Select(_ => project.CallbackTimingBuild(compilerServer: false)).ToList();
        AddCallbackTiming(summary, prefix, fresh);
        foreach (var way in BindingFloorWays)
        {
            AddBindingFloor(summary, prefix, way, project.CallbackTimingBuild(compilerServer: false, way));
        }

        var totals = ServerBuilds(project, builds, prefix, analyzersFile: null);
        var floors = BindingFloorWays.Select(way => project.CallbackTimingBuild(compilerServer: true, way)).ToList();
        project.ShutDownCompilerServer();
        AddServerCallbackTimings(summary, prefix, totals, builds);
        var before = totals[^1];
        for (var index = 0; index < floors.Count; index++)
        {
            if (floors[index].CompilerProcessId == before.CompilerProcessId)
            {
                AddBindingFloor(summary, $"{prefix}.server", BindingFloorWays[index], floors[index].Minus(before));
            }

            before = floors[index];
        }
    }

    /// <summary>
    /// Builds one after another in a compiler server started for them, with the copy of GradGuard.Analyzers at
    /// <paramref name="analyzersFile"/> (the harness's own when null); the server is left running for more builds. The
    /// figures add up over a server's builds: each build is the difference from the one before it. The first build
    /// starts the server and JIT-compiles what it runs; the runtime goes on recompiling the compiler's hot code for
    /// several builds more, so a server's second build is not yet what a long-lived one spends.
    /// </summary>
    internal static List<CallbackTiming> ServerBuilds(SdkProject project, int builds, string prefix, string? analyzersFile)
    {
        project.ShutDownCompilerServer();
        var totals = Enumerable.Range(0, Math.Max(builds + 1, SettledServerBuilds))
            .Select(_ => project.CallbackTimingBuild(compilerServer: true, analyzersFile: analyzersFile))
            .ToList();
        if (totals.Any(build => build.CompilerProcessId != totals[0].CompilerProcessId))
        {
            throw new InvalidOperationException($"The compiler server of {prefix} was replaced between builds; a long-lived server's figures need one server throughout.");
        }

        if (totals.Any(build => build.AnalyzersFromFile != (analyzersFile is not null)))
        {
            throw new InvalidOperationException($"The compiler server of {prefix} timed another copy of GradGuard.Analyzers than the one asked for.");
        }

        return totals;
    }

    /// <summary>A server's first <paramref name="builds"/> builds after the one that started it, and its last two, the settled ones.</summary>
    internal static void AddServerCallbackTimings(Summary summary, string prefix, List<CallbackTiming> totals, int builds)
    {
        var warmBuilds = totals.Zip(totals.Skip(1), (before, after) => after.Minus(before)).ToList();
        if (warmBuilds.Any(build => build.GradGuardCallbacksCpuMilliseconds < 0))
        {
            throw new InvalidOperationException($"The compiler server loaded the callback timing harness afresh during {prefix}: its totals started over.");
        }

        AddCallbackTiming(summary, $"{prefix}.server", warmBuilds.Take(builds).ToList());
        AddCallbackTiming(summary, $"{prefix}.server.settled", warmBuilds.Skip(warmBuilds.Count - 2).ToList());
    }

    /// <summary>What binding every member's code costs in a build of its own, bound one of the ways of <see cref="BindingFloor"/>.</summary>
    private static void AddBindingFloor(Summary summary, string prefix, string way, CallbackTiming floor)
    {
        var name = $"{prefix}.floor.{way.Replace('-', '_')}";
        summary.Add($"{name}.members", floor.BindingFloorMembers);
        summary.Add($"{name}.bind_cpu_ms", floor.BindingFloorCpuMilliseconds, "F0");
        summary.Add($"{name}.compiler_cpu_ms", floor.CompilerCpuMilliseconds, "F0");
        summary.Add($"{name}.bind_share", floor.BindingFloorCpuMilliseconds / floor.CompilerCpuMilliseconds);
    }

    internal static void AddCallbackTiming(Summary summary, string prefix, List<CallbackTiming> timings)
    {
        summary.Add($"{prefix}.gradguard_callbacks_cpu_ms", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksCpuMilliseconds)), "F0");
        summary.Add($"{prefix}.gradguard_callbacks_jit_ms", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksJitMilliseconds)), "F0");
        summary.Add($"{prefix}.compiler_cpu_ms", Statistics.Median(timings.Select(timing => timing.CompilerCpuMilliseconds)), "F0");
        summary.Add($"{prefix}.gradguard_cpu_share", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksCpuMilliseconds / timing.CompilerCpuMilliseconds)));
        summary.Add(
            $"{prefix}.command_line_cpu_share",
            Statistics.Median(timings.Select(timing => (timing.GradGuardCallbacksCpuMilliseconds - InformationOnlyAnalyzers.Sum(analyzer => timing.CpuMillisecondsByAnalyzer[analyzer])) / timing.CompilerCpuMilliseconds)));
        foreach (var analyzer in timings[0].CpuMillisecondsByAnalyzer.Keys)
        {
            summary.Add($"{prefix}.{analyzer}.cpu_ms", Statistics.Median(timings.Select(timing => timing.CpuMillisecondsByAnalyzer[analyzer])), "F0");
        }
    }

    private static IEnumerable<double> RoundByRound(IReadOnlyList<double> times, IReadOnlyList<double> baseline) =>
        times.Zip(baseline, (time, baselineTime) => time / baselineTime);
}
