using System.Collections.Immutable;
using GradGuard.Analyzers;
using GradGuard.Analyzers.NetworkModel;
using GradGuard.Benchmarks.CallbackTiming;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// GG0001–GG0003's and GG0005's own work without the compiler's: the model of a compilation's networks built again and
/// again over semantic models that already hold their bound trees (the first pass binds them, as the compiler has
/// done by the time GradGuard runs in a build), then the rules over it. Thread CPU time and bytes allocated on one
/// thread, which another process's load blurs far less than a build's share, and allocations not at all.
/// </summary>
internal static class NetworkModelBuilding
{
    public static void Run(IReadOnlyList<int> sizes, int passes, Summary summary)
    {
        // GradGuard's code, and the driver's and binder's paths the floor takes, run unoptimised on their first calls; no
        // size should pay for that.
        var first = new GeneratedProject(sizes[0]).Parse();
        Passes(first, passes);
        AnalysisFloor.Measure("warm_up", first, new Summary());
        foreach (var files in sizes)
        {
            var compilation = new GeneratedProject(files).Parse();
            Measure($"model.n{files}", compilation, files, passes, summary);
            AnalysisFloor.Measure($"floor.n{files}", compilation, summary);
        }

        var models = Path.Combine(RepositoryRoot.Path, "tests", "RealWorldModels");
        var sources = Directory.EnumerateFiles(models, "*.cs", SearchOption.AllDirectories).Select(file => (file, File.ReadAllText(file))).ToList();
        var realWorld = GeneratedProject.Parse("RealWorld", sources);
        Measure("model.realworld", realWorld, sources.Count, passes, summary);
        AnalysisFloor.Measure("floor.realworld", realWorld, summary);
    }

    private static void Measure(string prefix, Compilation compilation, int files, int passes, Summary summary)
    {
        Console.WriteLine($"  {prefix}: {files} files, binding, then {passes} passes ...");
        var (findCpu, findBytes, rulesCpu, rulesBytes, networks, diagnostics) = Passes(compilation, passes);
        summary.Add($"{prefix}.networks", networks);
        summary.Add($"{prefix}.diagnostics", diagnostics);
        summary.Add($"{prefix}.find_cpu_ms", Statistics.Median(findCpu), "F1");
        summary.Add($"{prefix}.find_allocated_mb", Statistics.Median(findBytes), "F2");
        summary.Add($"{prefix}.rules_cpu_ms", Statistics.Median(rulesCpu), "F1");
        summary.Add($"{prefix}.rules_allocated_mb", Statistics.Median(rulesBytes), "F2");
        summary.Add($"{prefix}.us_per_file", Statistics.Median(findCpu.Zip(rulesCpu, (find, rules) => find + rules)) * 1000 / files, "F0");
    }

    /// <summary>
    /// A binding pass, then <paramref name="passes"/> timed ones; the diagnostics are the rules' results before
    /// GradientFlowAnalyzer keeps one per location.
    /// </summary>
    private static (List<double> FindCpu, List<double> FindBytes, List<double> RulesCpu, List<double> RulesBytes, int Networks, int Diagnostics) Passes(Compilation compilation, int passes)
    {
        var models = new SemanticModels(compilation);
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        var findCpu = new List<double>();
        var findBytes = new List<double>();
        var rulesCpu = new List<double>();
        var rulesBytes = new List<double>();
        int networks = 0, diagnostics = 0;
        for (var pass = 0; pass <= passes; pass++)
        {
            var cpuStart = CallbackClock.ThreadCpuNanoseconds();
            var bytesStart = GC.GetAllocatedBytesForCurrentThread();
            var found = new CompilationNetworks(compilation, models).Find(CancellationToken.None);
            var cpuFound = CallbackClock.ThreadCpuNanoseconds();
            var bytesFound = GC.GetAllocatedBytesForCurrentThread();
            diagnostics = GradientFlowAnalyzer.Check(found, options).Count();
            networks = found.Length;
            if (pass == 0)
            {
                // The first pass binds every body it reads.
                continue;
            }

            findCpu.Add((cpuFound - cpuStart) / 1e6);
            findBytes.Add((bytesFound - bytesStart) / 1e6);
            rulesCpu.Add((CallbackClock.ThreadCpuNanoseconds() - cpuFound) / 1e6);
            rulesBytes.Add((GC.GetAllocatedBytesForCurrentThread() - bytesFound) / 1e6);
        }

        return (findCpu, findBytes, rulesCpu, rulesBytes, networks, diagnostics);
    }
}
