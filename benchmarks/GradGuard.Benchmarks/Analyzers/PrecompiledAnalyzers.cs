using GradGuard.Analyzers;
using GradGuard.Tests.Shared;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// What the package's ReadyToRun copy of GradGuard.Analyzers.dll saves a compiler started for one build (every CI
/// build, and every build with <c>UseSharedCompilation=false</c>): the project's own compiler command line run in a
/// process of its own with the plain assembly and with the precompiled one, in turns, on the real-world-shaped models and
/// on generated projects; then each copy's share of the compiler's CPU, in compilers started for the build and in a
/// long-lived compiler server. Linux only: the precompiled copy is for linux-x64, and the compiler's CPU time is read
/// with <c>getrusage</c>.
/// </summary>
internal static class PrecompiledAnalyzers
{
    private static readonly string[] Variants = { "plain", "precompiled" };

    /// <summary>Callback-timed builds of each copy in a compiler started for the build; their CPU shares scatter far less than the report's wall times.</summary>
    private const int CallbackTimedRounds = 2;

    public static void Run(IReadOnlyList<int> fileCounts, int rounds, Summary summary)
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier != "linux-x64")
        {
            Console.WriteLine("  The precompiled analyzers are for linux-x64; skipped on this system.");
            return;
        }

        var analyzers = new Dictionary<string, string>
        {
            ["plain"] = typeof(GradientFlowAnalyzer).Assembly.Location,
            ["precompiled"] = PublishPrecompiled(),
        };
        try
        {
            Measure("precompiled.realworld", RealWorldBuild.Sources(), analyzers, rounds, summary);
            foreach (var files in fileCounts)
            {
                var generated = Enumerable.Range(0, files).Select(index => (Path.Combine("Models", $"Model{index}.cs"), ModelSourceGenerator.File(index)));
                Measure($"precompiled.n{files}", generated, analyzers, rounds, summary);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(analyzers["precompiled"])!, recursive: true);
        }
    }

    private static void Measure(string prefix, IEnumerable<(string Path, string Text)> sources, IReadOnlyDictionary<string, string> analyzers, int rounds, Summary summary)
    {
        using var project = SdkProject.Write(prefix.Replace('.', '-'), sources);
        Console.WriteLine($"  {prefix}: {rounds} rounds of a compiler started with each copy of GradGuard.Analyzers ...");
        project.Restore();
        var commandLines = analyzers.ToDictionary(pair => pair.Key, pair => project.CompilerCommandLine(pair.Value));
        var runs = Variants.ToDictionary(variant => variant, _ => new List<CompilerRun>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in InTurn(round))
            {
                var (compiler, arguments) = commandLines[variant];
                runs[variant].Add(project.CompileAlone(compiler, arguments));
            }
        }

        foreach (var variant in Variants)
        {
            summary.Add($"{prefix}.{variant}.compiler_cpu_ms", Statistics.Median(runs[variant].Select(run => run.CpuMilliseconds)), "F0");
            summary.Add($"{prefix}.{variant}.gradguard_reported_ms", Statistics.Median(runs[variant].Select(run => run.GradGuardMilliseconds)), "F0");
            summary.Add($"{prefix}.{variant}.gradguard_share_of_analyzers", Statistics.Median(runs[variant].Select(run => run.GradGuardMilliseconds / run.AllAnalyzersMilliseconds)));
            summary.Add($"{prefix}.{variant}.gradguard_warnings", runs[variant][0].GradGuardWarnings);
        }

        summary.AddRatio($"{prefix}.compiler_cpu_ratio", runs["precompiled"].Zip(runs["plain"], (precompiled, plain) => precompiled.CpuMilliseconds / plain.CpuMilliseconds));
        if (runs.Values.SelectMany(run => run).Select(run => run.GradGuardWarnings).Distinct().Count() != 1)
        {
            throw new InvalidOperationException($"{prefix}: the plain and the precompiled analyzers reported different warnings.");
        }

        // GradGuard's callbacks timed in CPU time with each copy: in a compiler started for each build, in turns, then
        // in a long-lived compiler server, where the runtime recompiles the plain copy's hot code as the builds go on
        // and has the precompiled copy's compiled from the first build.
        var fresh = Variants.ToDictionary(variant => variant, _ => new List<CallbackTiming>());
        for (var round = 0; round < CallbackTimedRounds; round++)
        {
            foreach (var variant in InTurn(round))
            {
                fresh[variant].Add(project.CallbackTimingBuild(compilerServer: false, analyzersFile: analyzers[variant]));
            }
        }

        foreach (var variant in Variants)
        {
            RealBuildOverhead.AddCallbackTiming(summary, $"{prefix}.{variant}.fresh", fresh[variant]);
            var totals = RealBuildOverhead.ServerBuilds(project, builds: 1, $"{prefix}.{variant}", analyzers[variant]);
            project.ShutDownCompilerServer();
            RealBuildOverhead.AddServerCallbackTimings(summary, $"{prefix}.{variant}", totals, builds: 1);
        }
    }

    /// <summary>The copies in the order a round builds them: each round in the other order, so that a slow spell of the machine does not land on one copy only.</summary>
    private static IEnumerable<string> InTurn(int round) => round % 2 == 0 ? Variants : Variants.Reverse();

    /// <summary>Publishes GradGuard.Analyzers.ReadyToRun, as the package's build does, and returns the precompiled assembly's path.</summary>
    private static string PublishPrecompiled()
    {
        var output = Directory.CreateTempSubdirectory("gradguard-precompiled-").FullName;
        var project = Path.Combine(RepositoryRoot.Path, "src", "GradGuard.Analyzers.ReadyToRun", "GradGuard.Analyzers.ReadyToRun.csproj");
        var (exitCode, text) = Command.Dotnet(new[] { "publish", project, "-c", "Release", "-o", output, "-nologo", "-v:q" });
        return exitCode == 0
            ? Path.Combine(output, "GradGuard.Analyzers.dll")
            : throw new InvalidOperationException($"Publishing the precompiled analyzers failed:\n{text}");
    }
}
