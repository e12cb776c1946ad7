using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GradGuard.Benchmarks.CallbackTiming;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>One way of building the project: with or without GradGuard, and whether its rules can fire.</summary>
internal sealed record BuildConfiguration(string Name, string? Analyzer, bool ReportsNothing);

/// <summary>
/// What <see cref="CallbackTimedGradGuardAnalyzers"/> measured in the compiler process up to the end of a build: all of
/// GradGuard's callbacks, and each analyzer's by its type name.
/// </summary>
internal sealed record CallbackTiming(
    double GradGuardCallbacksCpuMilliseconds,
    double GradGuardCallbacksJitMilliseconds,
    IReadOnlyDictionary<string, double> CpuMillisecondsByAnalyzer,
    double CompilerCpuMilliseconds,
    int CompilerProcessId,
    double BindingFloorCpuMilliseconds,
    int BindingFloorMembers,
    bool AnalyzersFromFile)
{
    public CallbackTiming Minus(CallbackTiming earlier) => this with
    {
        GradGuardCallbacksCpuMilliseconds = GradGuardCallbacksCpuMilliseconds - earlier.GradGuardCallbacksCpuMilliseconds,
        GradGuardCallbacksJitMilliseconds = GradGuardCallbacksJitMilliseconds - earlier.GradGuardCallbacksJitMilliseconds,
        CpuMillisecondsByAnalyzer = CpuMillisecondsByAnalyzer.ToDictionary(pair => pair.Key, pair => pair.Value - earlier.CpuMillisecondsByAnalyzer[pair.Key]),
        CompilerCpuMilliseconds = CompilerCpuMilliseconds - earlier.CompilerCpuMilliseconds,
        BindingFloorCpuMilliseconds = BindingFloorCpuMilliseconds - earlier.BindingFloorCpuMilliseconds,
        BindingFloorMembers = BindingFloorMembers - earlier.BindingFloorMembers,
    };
}

/// <summary>The compiler's account of the analyzers' time in one build, GradGuard's split by analyzer, and the GradGuard diagnostics it found.</summary>
internal sealed record AnalyzerReport(double GradGuardMilliseconds, IReadOnlyList<(string Analyzer, double Milliseconds)> MillisecondsByAnalyzer, double AllAnalyzersMilliseconds, int GradGuardDiagnostics);

/// <summary>One compiler process: its CPU time, the analyzer report's figures for GradGuard and for all analyzers (wall time), and GradGuard's warnings.</summary>
internal sealed record CompilerRun(double CpuMilliseconds, double GradGuardMilliseconds, double AllAnalyzersMilliseconds, int GradGuardWarnings);

/// <summary>An SDK project of TorchSharp model sources in a temporary folder, deleted on dispose.</summary>
internal sealed partial class SdkProject : IDisposable
{
    private const string ReportsNothingConfig = "reports-nothing.globalconfig";

    private static readonly IReadOnlyDictionary<string, string?> NoEnvironment = new Dictionary<string, string?>();

    private readonly string projectFile;
    private readonly string sarifFile;
    private readonly string callbackTimingFile;

    private SdkProject(string directory)
    {
        Directory = directory;
        projectFile = Path.Combine(directory, "Models.csproj");
        sarifFile = Path.Combine(directory, "gradguard.sarif");
        callbackTimingFile = Path.Combine(directory, "gradguard-callback-timing.txt");
    }

    public string Directory { get; }

    /// <summary>Writes the project and its sources (paths relative to the project folder) into a new temporary folder.</summary>
    public static SdkProject Write(string label, IEnumerable<(string Path, string Text)> sources)
    {
        var project = new SdkProject(System.IO.Directory.CreateTempSubdirectory($"gradguard-build-{label}-").FullName);
        File.WriteAllText(project.projectFile, ProjectFile());
        File.WriteAllText(Path.Combine(project.Directory, ReportsNothingConfig), ReportsNothingSettings());
        foreach (var (path, text) in sources)
        {
            var file = Path.Combine(project.Directory, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
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
    /// the build's own or in the compiler server, and reads what it measured; with <paramref name="bindingFloor"/>, the
    /// harness binds every member's code that way (<see cref="BindingFloor"/>) in place of running GradGuard. With
    /// <paramref name="analyzersFile"/>, the harness times that copy of GradGuard.Analyzers.dll instead of its own; a
    /// compiler server keeps the copy it loaded first, so a server's builds all name the same one.
    /// </summary>
    public CallbackTiming CallbackTimingBuild(bool compilerServer, string? bindingFloor = null, string? analyzersFile = null)
    {
        var timingAnalyzer = typeof(CallbackTimedGradGuardAnalyzers).Assembly.Location;
        File.Delete(callbackTimingFile);
        string output = Build(
            new Dictionary<string, string?> { [CallbackTimedGradGuardAnalyzers.AnalyzersFileVariable] = analyzersFile },
            analyzer: null,
            $"-p:GradGuardCallbackTimingAnalyzer={timingAnalyzer}",
            $"-p:{CallbackTimedGradGuardAnalyzers.ResultFileProperty}={callbackTimingFile}",
            $"-p:UseSharedCompilation={compilerServer}",
            $"-p:{BindingFloor.Property}={bindingFloor}");
        if (!File.Exists(callbackTimingFile))
        {
            var analyzerFailures = output.Split('\n').Where(line => line.Contains("CS8032") || line.Contains("AD0001"));
            throw new InvalidOperationException(
                $"The callback timing harness wrote no figures; what the build said of the analyzers:\n{string.Join('\n', analyzerFailures)}");
        }

        var figures = CallbackTimedGradGuardAnalyzers.ReadResults(callbackTimingFile);
        const string analyzerPrefix = "gradguard_callbacks_cpu_ms.";
        return new CallbackTiming(
            figures["gradguard_callbacks_cpu_ms"],
            figures["gradguard_callbacks_jit_ms"],
            figures.Where(figure => figure.Key.StartsWith(analyzerPrefix, StringComparison.Ordinal)).ToDictionary(figure => figure.Key[analyzerPrefix.Length..], figure => figure.Value),
            figures["compiler_process_cpu_ms"],
            (int)figures["compiler_process_id"],
            figures["binding_floor_cpu_ms"],
            (int)figures["binding_floor_members"],
            figures["gradguard_analyzers_from_file"] == 1);
    }

    /// <summary>
    /// The compiler's command line of this project's build with GradGuard at <paramref name="analyzer"/>, as a compiler
    /// started for the build runs it: the arguments after <c>csc</c>, and the compiler's own assembly.
    /// </summary>
    public (string Compiler, string Arguments) CompilerCommandLine(string analyzer)
    {
        string output = Build(analyzer, "-v:n", "-p:UseSharedCompilation=false");
        var line = CompilerInvocation().Match(output);
        return line.Success
            ? (Path.Combine(line.Groups[1].Value, "csc.dll"), line.Groups[2].Value)
            : throw new InvalidOperationException("The build output holds no compiler command line.");
    }

    /// <summary>
    /// Runs the compiler on <paramref name="arguments"/> in a process of its own, as a build without a compiler server
    /// does (no error log, so no Info-only analyzer runs), with the analyzer report on.
    /// </summary>
    public CompilerRun CompileAlone(string compiler, string arguments)
    {
        var responseFile = Path.Combine(Directory, "csc.rsp");
        File.WriteAllText(responseFile, arguments);
        var childrenBefore = ChildProcessesCpu.Milliseconds();
        string output = Run("exec", compiler, "/reportanalyzer", "@" + responseFile);
        return new CompilerRun(
            CpuMilliseconds: ChildProcessesCpu.Milliseconds() - childrenBefore,
            GradGuardMilliseconds: 1000 * Seconds(GradGuardTime(), output, "GradGuard's time in the analyzer report"),
            AllAnalyzersMilliseconds: 1000 * Seconds(TotalAnalyzerTime(), output, "the total analyzer time in the analyzer report"),
            GradGuardWarnings: GradGuardWarning().Count(output));
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

    private string Build(string? analyzer, params string[] options) => Build(NoEnvironment, analyzer, options);

    private string Build(IReadOnlyDictionary<string, string?> environment, string? analyzer, params string[] options) => Run(
        environment,
        new[] { "build", projectFile, "--no-restore", "--no-incremental", "-nologo", "-clp:PerformanceSummary", $"-p:GradGuardAnalyzer={analyzer}" }
            .Concat(options)
            .ToArray());

    private string Run(params string[] arguments) => Run(NoEnvironment, arguments);

    /// <summary>Runs dotnet with <paramref name="environment"/> added to this process's (a null value removes the variable).</summary>
    private string Run(IReadOnlyDictionary<string, string?> environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
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
            <CompilerVisibleProperty Include="{BindingFloor.Property}" />
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
        gradguard.GG0005.min_layers = 1000000
        dotnet_diagnostic.GG0006.severity = none
        """;

    private static string TorchSharpVersion() => typeof(global::TorchSharp.torch).Assembly.GetName().Version!.ToString(3);

    [GeneratedRegex(@"^\s+(\d+) ms\s+Csc\s+\d+ calls", RegexOptions.Multiline)]
    private static partial Regex CscTaskTime();

    // The assembly's line, which sums all of GradGuard's analyzers: "  0.403   43   GradGuard.Analyzers, Version=0.1.0.0, ...".
    [GeneratedRegex(@"^\s+(<?[\d.]+)\s+\S+\s+GradGuard\.Analyzers, Version=", RegexOptions.Multiline)]
    private static partial Regex GradGuardTime();

    // The Csc task's command line at normal verbosity: "  /usr/share/dotnet/sdk/10.0.401/Roslyn/bincore/csc /noconfig ...".
    [GeneratedRegex(@"^\s+(\S+/Roslyn/bincore)/csc (.+)$", RegexOptions.Multiline)]
    private static partial Regex CompilerInvocation();

    [GeneratedRegex(@"warning GG\d{4}")]
    private static partial Regex GradGuardWarning();

    // One line an analyzer: "  0.181   19      GradGuard.Analyzers.GradientFlowAnalyzer (GG0001, GG0002, GG0003)".
    [GeneratedRegex(@"^\s+(<?[\d.]+)\s+\S+\s+GradGuard\.Analyzers\.(\w+) \(", RegexOptions.Multiline)]
    private static partial Regex GradGuardAnalyzerTime();

    [GeneratedRegex(@"Total analyzer execution time: ([\d.]+) seconds", RegexOptions.Multiline)]
    private static partial Regex TotalAnalyzerTime();
}
