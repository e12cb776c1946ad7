namespace GradGuard.Benchmarks;

/// <summary>Which parts run, and for how long.</summary>
/// <param name="Full">More rounds and repetitions than the quick default, for figures to publish.</param>
/// <param name="Parts">monitor, signals, costs, shapes, soak, analyzers, model, build, realworld, precompiled: the parts to run, all by default.</param>
/// <param name="Threads">TorchSharp intra-op threads.</param>
/// <param name="BenchmarkDotNetArguments">Everything after --bdn, handed to BenchmarkSwitcher; null when absent.</param>
/// <param name="Sizes">Generated project sizes for the analyzers and build parts, in place of the mode's; null for the mode's.</param>
internal sealed record BenchmarkCommandLine(bool Full, IReadOnlySet<string> Parts, int Threads, string[]? BenchmarkDotNetArguments, IReadOnlyList<int>? Sizes = null)
{
    public static readonly string[] AllParts = { "monitor", "signals", "costs", "shapes", "soak", "analyzers", "model", "build", "realworld", "precompiled" };

    public const string Usage = """
        dotnet run -c Release --project benchmarks/GradGuard.Benchmarks -- [--quick | --full] [--only monitor,signals,costs,shapes,soak,analyzers,model,build,realworld] [--sizes 50,200,800] [--threads N]
        dotnet run -c Release --project benchmarks/GradGuard.Benchmarks -- --bdn [BenchmarkDotNet arguments, e.g. --filter *TrainingStep*]
        """;

    public static BenchmarkCommandLine Parse(string[] arguments)
    {
        bool full = false;
        var parts = new HashSet<string>(AllParts);
        // One thread by default: with OpenMP threads on both cores, any other process on the machine stalls
        // TorchSharp's barriers and step times scatter by 10×; the ratios are what is measured, not the speed.
        int threads = 1;
        IReadOnlyList<int>? sizes = null;
        for (int index = 0; index < arguments.Length; index++)
        {
            switch (arguments[index])
            {
                case "--bdn":
                    return new BenchmarkCommandLine(full, parts, threads, arguments[(index + 1)..]);
                case "--quick":
                    full = false;
                    break;
                case "--full":
                    full = true;
                    break;
                case "--only" when index + 1 < arguments.Length:
                    parts = arguments[++index].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    break;
                case "--sizes" when index + 1 < arguments.Length:
                    sizes = ParseSizes(arguments[++index]);
                    break;
                case "--threads" when index + 1 < arguments.Length && int.TryParse(arguments[index + 1], out int parsed) && parsed > 0:
                    threads = parsed;
                    index++;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arguments[index]}'. Usage:\n{Usage}");
            }
        }

        var unknown = parts.Except(AllParts).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown part(s) {string.Join(", ", unknown)}; the parts are {string.Join(", ", AllParts)}.");
        }

        return new BenchmarkCommandLine(full, parts, threads, null, sizes);
    }

    private static IReadOnlyList<int> ParseSizes(string text)
    {
        var sizes = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(size => int.TryParse(size, out var files) && files > 0 ? files : throw new ArgumentException($"--sizes takes file counts above 0, like 50,200,800; '{size}' is not one."))
            .Order()
            .ToList();
        return sizes.Count > 0 ? sizes : throw new ArgumentException("--sizes takes at least one file count, like 50,200,800.");
    }
}
