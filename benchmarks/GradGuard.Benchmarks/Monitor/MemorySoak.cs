using System.Globalization;
using TorchSharp;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// Trains a small model with the monitor collecting at every step for many steps and samples the process's
/// resident memory and TorchSharp's live tensors: a monitor left on for a whole training run must not grow
/// either. The model is tiny so that the monitor's own per-step allocations dominate what is measured.
/// </summary>
internal static class MemorySoak
{
    /// <summary>Steps before the first sample: allocator pools, JIT and the metrics pipeline settle first.</summary>
    private const int WarmupSteps = 1000;

    /// <summary>RSS drift below this is allocator and GC-heap noise, not a leak (a leak of one tensor a step on this model would be 160 MB).</summary>
    private const double FlatRssGrowthMegabytes = 16;

    /// <param name="optIn">With every opt-in signal on (the magnitude histogram, the NaN search); figures named <c>soak.opt_in.*</c>.</param>
    public static void Run(int steps, bool optIn, Summary summary)
    {
        string prefix = optIn ? "soak.opt_in" : "soak";
        using var training = new InstrumentedTraining(Workload.SmallMlp, Instrumentation.MonitorEveryStep, optIn);
        for (int step = 0; step < WarmupSteps; step++)
        {
            training.Step();
        }

        var start = Sample();
        double peakRss = start.RssMegabytes;
        int interval = Math.Max(1, steps / 10);
        for (int step = 1; step <= steps; step++)
        {
            training.Step();
            if (step % interval == 0)
            {
                peakRss = Math.Max(peakRss, Sample().RssMegabytes);
            }
        }

        var end = Sample();
        summary.Add($"{prefix}.steps", steps);
        summary.Add($"{prefix}.rss_mb.start", start.RssMegabytes, "F1");
        summary.Add($"{prefix}.rss_mb.end", end.RssMegabytes, "F1");
        summary.Add($"{prefix}.rss_mb.peak", peakRss, "F1");
        summary.Add($"{prefix}.rss_growth_mb", end.RssMegabytes - start.RssMegabytes, "F1");
        summary.Add($"{prefix}.live_tensors.start", start.LiveTensors);
        summary.Add($"{prefix}.live_tensors.end", end.LiveTensors);
        summary.Add($"{prefix}.flat", end.LiveTensors <= start.LiveTensors && end.RssMegabytes - start.RssMegabytes < FlatRssGrowthMegabytes);
    }

    /// <summary>Resident memory after a full GC (so finalizable tensors cannot hide), and the tensors alive on this thread.</summary>
    private static (double RssMegabytes, long LiveTensors) Sample()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (ResidentMegabytes(), DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    /// <summary>VmRSS from /proc/self/status: native (libtorch) and managed memory together.</summary>
    private static double ResidentMegabytes()
    {
        string line = File.ReadLines("/proc/self/status").First(line => line.StartsWith("VmRSS:", StringComparison.Ordinal));
        string kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
        return double.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024;
    }
}
