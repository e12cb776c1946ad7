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
            using var project = SdkProject.Write(files);
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
    private static void AddCallbackTimings(SdkProject project, int builds, string prefix, Summary summary)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("  GradGuard's callbacks are timed with Linux's per-thread CPU clock; skipped on this system.");
            return;
        }

        var fresh = Enumerable.Range(0, builds).Select(_ => project.CallbackTimingBuild(compilerServer: false)).ToList();
        AddCallbackTiming(summary, prefix, fresh);

        // The server's figures add up over its builds: each build is the difference from the one before it in the same
        // server. The first build starts a server of its own and JIT-compiles what it runs.
        project.ShutDownCompilerServer();
        var totals = Enumerable.Range(0, builds + 1).Select(_ => project.CallbackTimingBuild(compilerServer: true)).ToList();
        project.ShutDownCompilerServer();
        var warmBuilds = totals.Zip(totals.Skip(1), (before, after) => after.CompilerProcessId == before.CompilerProcessId ? after.Minus(before) : null)
            .OfType<CallbackTiming>()
            .ToList();
        if (warmBuilds.Any(build => build.GradGuardCallbacksCpuMilliseconds < 0))
        {
            throw new InvalidOperationException($"The compiler server loaded the callback timing harness afresh during {prefix}: its totals started over.");
        }

        if (warmBuilds.Count == 0)
        {
            throw new InvalidOperationException($"No two builds of {prefix} ran in the same compiler server; the server's figures need a warm one.");
        }

        AddCallbackTiming(summary, $"{prefix}.server", warmBuilds);
    }

    private static void AddCallbackTiming(Summary summary, string prefix, List<CallbackTiming> timings)
    {
        summary.Add($"{prefix}.gradguard_callbacks_cpu_ms", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksCpuMilliseconds)), "F0");
        summary.Add($"{prefix}.gradguard_callbacks_jit_ms", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksJitMilliseconds)), "F0");
        summary.Add($"{prefix}.compiler_cpu_ms", Statistics.Median(timings.Select(timing => timing.CompilerCpuMilliseconds)), "F0");
        summary.Add($"{prefix}.gradguard_cpu_share", Statistics.Median(timings.Select(timing => timing.GradGuardCallbacksCpuMilliseconds / timing.CompilerCpuMilliseconds)));
    }

    private static IEnumerable<double> RoundByRound(IReadOnlyList<double> times, IReadOnlyList<double> baseline) =>
        times.Zip(baseline, (time, baselineTime) => time / baselineTime);

    /// <summary>One way of building the project: with or without GradGuard, and whether its rules can fire.</summary>
    private sealed record BuildConfiguration(string Name, string? Analyzer, bool ReportsNothing);

    /// <summary>What <see cref="CallbackTimedGradGuardAnalyzers"/> measured in the compiler process up to the end of a build.</summary>
    private sealed record CallbackTiming(
        double GradGuardCallbacksCpuMilliseconds,
        double GradGuardCallbacksJitMilliseconds,
        double CompilerCpuMilliseconds,
        int CompilerProcessId)
    {
        public CallbackTiming Minus(CallbackTiming earlier) => this with
        {
            GradGuardCallbacksCpuMilliseconds = GradGuardCallbacksCpuMilliseconds - earlier.GradGuardCallbacksCpuMilliseconds,
            GradGuardCallbacksJitMilliseconds = GradGuardCallbacksJitMilliseconds - earlier.GradGuardCallbacksJitMilliseconds,
            CompilerCpuMilliseconds = CompilerCpuMilliseconds - earlier.CompilerCpuMilliseconds,
        };
    }

    /// <summary>The compiler's account of the analyzers' time in one build, GradGuard's split by analyzer, and the GradGuard diagnostics it found.</summary>
    private sealed record AnalyzerReport(double GradGuardMilliseconds, IReadOnlyList<(string Analyzer, double Milliseconds)> MillisecondsByAnalyzer, double AllAnalyzersMilliseconds, int GradGuardDiagnostics);

    /// <summary>A generated project in a temporary folder, deleted on dispose.</summary>
    private sealed class SdkProject : IDisposable
    {
        private const string ReportsNothingConfig = "reports-nothing.globalconfig";

        private readonly string projectFile;
        private readonly string sarifFile;
        private readonly string callbackTimingFile;

        private SdkProject(string directory)
        {
            Directory = directory;
            projectFile = Path.Combine(directory, "GeneratedModels.csproj");
            sarifFile = Path.Combine(directory, "gradguard.sarif");
            callbackTimingFile = Path.Combine(directory, "gradguard-callback-timing.txt");
        }

        public string Directory { get; }

        public static SdkProject Write(int files)
        {
            var project = new SdkProject(System.IO.Directory.CreateTempSubdirectory($"gradguard-build-n{files}-").FullName);
            File.WriteAllText(project.projectFile, ProjectFile());
            File.WriteAllText(Path.Combine(project.Directory, ReportsNothingConfig), ReportsNothingSettings());
            var sources = System.IO.Directory.CreateDirectory(Path.Combine(project.Directory, "Models")).FullName;
            for (int index = 0; index < files; index++)
            {
                File.WriteAllText(Path.Combine(sources, $"Model{index}.cs"), ModelSourceGenerator.File(index));
            }

            return project;
        }

        public void Restore() => Run("restore", projectFile, "-nologo", "-v:q");

        /// <summary>Builds as a developer does, and returns the <c>Csc</c> task's time.</summary>
        public double TimedBuild(BuildConfiguration configuration) =>
            Milliseconds(
                CscTaskTime(),
                Build(configuration.Analyzer, $"-p:GradGuardReportsNothing={configuration.ReportsNothing}"),
                "the Csc task's time in the performance summary");

        public AnalyzerReport ReportBuild(string analyzer)
        {
            // The compiler prints its analyzer report only at detailed verbosity.
            string output = Build(analyzer, "-p:ReportAnalyzer=true", "-v:d", $"-p:ErrorLog={sarifFile}");
            return new AnalyzerReport(
                GradGuardMilliseconds: 1000 * Seconds(GradGuardTime(), output, "GradGuard's time in the analyzer report"),
                MillisecondsByAnalyzer: GradGuardAnalyzerTime().Matches(output)
                    .Select(match => (match.Groups[2].Value, match.Groups[1].Value.StartsWith('<') ? 0 : 1000 * double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)))
                    .ToList(),
                AllAnalyzersMilliseconds: 1000 * Seconds(TotalAnalyzerTime(), output, "the total analyzer time in the analyzer report"),
                GradGuardDiagnostics: CountGradGuardResults());
        }

        /// <summary>
        /// Builds with GradGuard run through <see cref="CallbackTimedGradGuardAnalyzers"/>, in a compiler process of
        /// the build's own or in the compiler server, and reads what it measured.
        /// </summary>
        public CallbackTiming CallbackTimingBuild(bool compilerServer)
        {
            var timingAnalyzer = typeof(CallbackTimedGradGuardAnalyzers).Assembly.Location;
            File.Delete(callbackTimingFile);
            string output = Build(
                analyzer: null,
                $"-p:GradGuardCallbackTimingAnalyzer={timingAnalyzer}",
                $"-p:{CallbackTimedGradGuardAnalyzers.ResultFileProperty}={callbackTimingFile}",
                $"-p:UseSharedCompilation={compilerServer}");
            if (!File.Exists(callbackTimingFile))
            {
                var analyzerFailures = output.Split('\n').Where(line => line.Contains("CS8032") || line.Contains("AD0001"));
                throw new InvalidOperationException(
                    $"The callback timing harness wrote no figures; what the build said of the analyzers:\n{string.Join('\n', analyzerFailures)}");
            }

            var figures = CallbackTimedGradGuardAnalyzers.ReadResults(callbackTimingFile);
            return new CallbackTiming(
                figures["gradguard_callbacks_cpu_ms"],
                figures["gradguard_callbacks_jit_ms"],
                figures["compiler_process_cpu_ms"],
                (int)figures["compiler_process_id"]);
        }

        /// <summary>Stops the compiler server the timing builds started, so that it does not outlive the benchmark.</summary>
        public void ShutDownCompilerServer() => Run("build-server", "shutdown", "--vbcscompiler");

        public void Dispose()
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // A compiler server may still hold a file open; the temporary folder is left for the system to clean.
            }
        }

        private int CountGradGuardResults()
        {
            using var sarif = JsonDocument.Parse(File.ReadAllText(sarifFile));
            return sarif.RootElement.GetProperty("runs").EnumerateArray()
                .SelectMany(run => run.TryGetProperty("results", out var results) ? results.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Count(result => result.GetProperty("ruleId").GetString()?.StartsWith("GG", StringComparison.Ordinal) == true);
        }

        private string Build(string? analyzer, params string[] options) => Run(
            new[] { "build", projectFile, "--no-restore", "--no-incremental", "-nologo", "-clp:PerformanceSummary", $"-p:GradGuardAnalyzer={analyzer}" }
                .Concat(options)
                .ToArray());

        private string Run(params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{output}\n{errors.Result}");
            }

            return output;
        }

        private static double Milliseconds(Regex pattern, string output, string what) =>
            double.Parse(Find(pattern, output, what), CultureInfo.InvariantCulture);

        private static double Seconds(Regex pattern, string output, string what) =>
            Find(pattern, output, what) is var text && text.StartsWith('<') ? 0 : double.Parse(text, CultureInfo.InvariantCulture);

        private static string Find(Regex pattern, string output, string what) =>
            pattern.Match(output) is { Success: true } match
                ? match.Groups[1].Value
                : throw new InvalidOperationException($"The build output holds no {what}.");

        private static string ProjectFile() => $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net{Environment.Version.Major}.0</TargetFramework>
                <Nullable>enable</Nullable>
                <!-- The generated models leave fields to RegisterComponents and do not use every field; those compiler
                     warnings, and TorchSharp's dependency version notices, are not what is measured. -->
                <NoWarn>$(NoWarn);NU1603;CS8618;CS8602;CS8604;CS0169</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="{TorchSharpVersion()}" />
              </ItemGroup>
              <ItemGroup Condition="'$(GradGuardAnalyzer)' != ''">
                <Analyzer Include="$(GradGuardAnalyzer)" />
              </ItemGroup>
              <ItemGroup Condition="'$(GradGuardCallbackTimingAnalyzer)' != ''">
                <Analyzer Include="$(GradGuardCallbackTimingAnalyzer)" />
                <CompilerVisibleProperty Include="{CallbackTimedGradGuardAnalyzers.ResultFileProperty}" />
              </ItemGroup>
              <ItemGroup Condition="'$(GradGuardReportsNothing)' == 'true'">
                <GlobalAnalyzerConfigFiles Include="{ReportsNothingConfig}" />
              </ItemGroup>
            </Project>
            """;

        // GG0006 has no threshold to put out of reach: it is switched off, which leaves out its check of forward() calls.
        // GG0004 and GG0007 find nothing to report in the generated models.
        private static string ReportsNothingSettings() => """
            is_global = true
            gradguard.GG0001.min_saturating_layers = 1000000
            gradguard.GG0002.min_relu_layers = 1000000
            gradguard.GG0003.min_plain_depth = 1000000
            dotnet_diagnostic.GG0006.severity = none
            """;

        private static string TorchSharpVersion() => typeof(global::TorchSharp.torch).Assembly.GetName().Version!.ToString(3);
    }

    [GeneratedRegex(@"^\s+(\d+) ms\s+Csc\s+\d+ calls", RegexOptions.Multiline)]
    private static partial Regex CscTaskTime();

    // The assembly's line, which sums all of GradGuard's analyzers: "  0.403   43   GradGuard.Analyzers, Version=0.1.0.0, ...".
    [GeneratedRegex(@"^\s+(<?[\d.]+)\s+\S+\s+GradGuard\.Analyzers, Version=", RegexOptions.Multiline)]
    private static partial Regex GradGuardTime();

    // One line an analyzer: "  0.181   19      GradGuard.Analyzers.GradientFlowAnalyzer (GG0001, GG0002, GG0003)".
    [GeneratedRegex(@"^\s+(<?[\d.]+)\s+\S+\s+GradGuard\.Analyzers\.(\w+) \(", RegexOptions.Multiline)]
    private static partial Regex GradGuardAnalyzerTime();

    [GeneratedRegex(@"Total analyzer execution time: ([\d.]+) seconds", RegexOptions.Multiline)]
    private static partial Regex TotalAnalyzerTime();
}
