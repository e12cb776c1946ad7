using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Running;
using GradGuard.Benchmarks;
using GradGuard.Benchmarks.Analyzers;
using GradGuard.Benchmarks.Monitor;
using TorchSharp;

BenchmarkCommandLine commandLine;
try
{
    commandLine = BenchmarkCommandLine.Parse(args);
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine(invalid.Message);
    return 2;
}

torch.set_num_threads(commandLine.Threads);
if (commandLine.BenchmarkDotNetArguments is { } benchmarkDotNetArguments)
{
    BenchmarkSwitcher.FromAssembly(typeof(BenchmarkCommandLine).Assembly).Run(benchmarkDotNetArguments);
    return 0;
}

var started = Stopwatch.GetTimestamp();
var summary = new Summary();
summary.Add("run.mode", commandLine.Full ? "full" : "quick");
summary.Add("run.cores", Environment.ProcessorCount);
summary.Add("run.torch_threads", commandLine.Threads);
summary.Add("run.runtime", RuntimeInformation.FrameworkDescription.Replace(' ', '_'));

if (commandLine.Parts.Contains("monitor"))
{
    Console.WriteLine("Monitor: bare, monitored and naive training steps, interleaved ...");
    MonitorOverhead.Run(Workload.DeepMlp, "mlp", new OverheadSettings(Rounds: commandLine.Full ? 20 : 6, WarmupRounds: 1, OverheadSettings.All), summary);
    MonitorOverhead.Run(Workload.SmallConvNet, "convnet", new OverheadSettings(Rounds: commandLine.Full ? 40 : 12, WarmupRounds: 1, OverheadSettings.All), summary);
    Console.WriteLine("Monitor: its own time in each step, Collect() and the forward hooks ...");
    MonitorAttribution.Run(Workload.DeepMlp, "mlp", pairs: commandLine.Full ? 40 : 15, summary);
    MonitorAttribution.Run(Workload.SmallConvNet, "convnet", pairs: commandLine.Full ? 60 : 25, summary);
}

if (commandLine.Parts.Contains("signals"))
{
    Console.WriteLine("Signals: what the update ratio, the loss, the NaN origin, the gradient distribution and histogram each add to a collected step ...");
    SignalCost.Run(Workload.DeepMlp, "mlp", rounds: commandLine.Full ? 40 : 15, summary);
    SignalCost.Run(Workload.SmallConvNet, "convnet", rounds: commandLine.Full ? 60 : 25, summary);
    // Steps of 0.2 and 6 ms, where the signals' TorchSharp calls, not the bytes they read, are the cost.
    SignalCost.Run(Workload.TinyMlp, "tiny", rounds: commandLine.Full ? 2000 : 500, summary);
    SignalCost.Run(Workload.DeepNarrow64, "deep64", rounds: commandLine.Full ? 200 : 60, summary);
}

if (commandLine.Parts.Contains("costs"))
{
    ModelShapes.RunCosts(commandLine.Full, summary);
}

if (commandLine.Parts.Contains("shapes"))
{
    ModelShapes.RunRatios(commandLine.Full, summary);
}

if (commandLine.Parts.Contains("soak"))
{
    Console.WriteLine("Soak: 10 000 monitored steps, with the default signals and then with every opt-in signal too ...");
    MemorySoak.Run(steps: 10_000, optIn: false, summary);
    MemorySoak.Run(steps: 10_000, optIn: true, summary);
}

if (commandLine.Parts.Contains("analyzers"))
{
    Console.WriteLine("Analyzers: generated projects compiled without and with GradGuard.Analyzers ...");
    AnalyzerOverhead.Run(new AnalyzerSettings(FileCounts: commandLine.Sizes ?? new[] { 50, 200, 800 }, Repetitions: commandLine.Full ? 5 : 2), summary);
}

if (commandLine.Parts.Contains("model"))
{
    Console.WriteLine("Network model: GG0001–GG0003's and GG0005's model and rules, timed over bound semantic models ...");
    NetworkModelBuilding.Run(commandLine.Sizes ?? new[] { 50, 200, 800 }, passes: commandLine.Full ? 15 : 5, summary);
}

if (commandLine.Parts.Contains("build"))
{
    Console.WriteLine("Builds: generated SDK projects built with dotnet build without and with GradGuard.Analyzers ...");
    RealBuildOverhead.Run(new RealBuildSettings(
        FileCounts: commandLine.Sizes ?? (commandLine.Full ? new[] { 50, 200, 800 } : new[] { 50, 200 }),
        Rounds: commandLine.Full ? 15 : 3,
        CallbackTimingBuilds: commandLine.Full ? 3 : 1),
        summary);
}

if (commandLine.Parts.Contains("realworld"))
{
    Console.WriteLine("Real-world models: the regression suite's networks built as one project with GradGuard.Analyzers ...");
    RealWorldBuild.Run(builds: commandLine.Full ? 5 : 3, summary);
}

if (commandLine.Parts.Contains("precompiled"))
{
    Console.WriteLine("Precompiled analyzers: compilers started for one build, with the plain and the ReadyToRun GradGuard.Analyzers ...");
    PrecompiledAnalyzers.Run(commandLine.Sizes ?? new[] { 50, 200 }, rounds: commandLine.Full ? 10 : 4, summary);
}

summary.Add("run.seconds", Stopwatch.GetElapsedTime(started).TotalSeconds, "F0");
Console.WriteLine();
summary.Print(Console.Out);
return 0;
