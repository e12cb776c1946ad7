using System.Diagnostics;
using GradGuard.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// Where the monitor's time goes in one workload's step, timed directly instead of as a ratio of whole steps, which a
/// busy machine blurs by more than the monitor costs. <c>Collect()</c> is timed on its own. The monitor's forward hooks
/// are timed between hooks of this class's own, registered on every module before and after the monitor attaches:
/// TorchSharp runs a module's hooks in the order they were registered, so the time between the two is the monitor's.
/// <c>CollectEvery = 2</c> alternates passes the hooks measure with passes they skip, on one model.
/// </summary>
internal static class MonitorAttribution
{
    private const int WarmupSteps = 4;

    public static void Run(Workload workload, string prefix, int pairs, Summary summary)
    {
        using var instance = WorkloadInstance.Create(workload);
        using var optimizer = optim.SGD(instance.Model.parameters(), 1e-3, momentum: 0.9);
        var modules = instance.Model.modules().OfType<nn.Module<Tensor, Tensor>>().ToList();
        var hookClock = new HookClock();
        modules.ForEach(hookClock.Open);
        using var monitor = GradientMonitor.Attach(instance.Model, new GradientMonitorOptions { CollectEvery = 2 });
        modules.ForEach(hookClock.Close);

        var measuredHooks = new List<double>();
        var skippedHooks = new List<double>();
        var collect = new List<double>();
        for (int step = 0; step < WarmupSteps + 2 * pairs; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            hookClock.Reset();
            var output = instance.Model.call(instance.Input);
            double hooks = hookClock.Milliseconds;
            nn.functional.cross_entropy(output, instance.Labels).backward();
            long start = Stopwatch.GetTimestamp();
            bool collected = monitor.Collect() is not null;
            double collecting = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            optimizer.step();
            if (step < WarmupSteps)
            {
                continue;
            }

            (collected ? measuredHooks : skippedHooks).Add(hooks);
            if (collected)
            {
                collect.Add(collecting);
            }
        }

        summary.Add($"{prefix}.attribution.collect_ms", Statistics.Median(collect), "F3");
        summary.Add($"{prefix}.attribution.hooks_ms", Statistics.Median(measuredHooks), "F3");
        summary.Add($"{prefix}.attribution.hooks_skipped_ms", Statistics.Median(skippedHooks), "F4");
        summary.Add($"{prefix}.attribution.hook_calls", hookClock.CallsPerPass);
    }

    /// <summary>Adds up, over a forward pass, the time between its opening and closing hooks of every module call.</summary>
    private sealed class HookClock
    {
        private long openedAt;
        private long elapsed;
        private int calls;

        public double Milliseconds => Stopwatch.GetElapsedTime(0, elapsed).TotalMilliseconds;

        /// <summary>Hook calls the monitor made in the last pass: a pre- and a post-hook per module call.</summary>
        public int CallsPerPass { get; private set; }

        public void Reset()
        {
            CallsPerPass = calls;
            elapsed = 0;
            calls = 0;
        }

        public void Open(nn.Module<Tensor, Tensor> module)
        {
            module.register_forward_pre_hook((_, _) => Start());
            module.register_forward_hook((_, _, _) => Start());
        }

        public void Close(nn.Module<Tensor, Tensor> module)
        {
            module.register_forward_pre_hook((_, _) => Stop());
            module.register_forward_hook((_, _, _) => Stop());
        }

        private Tensor Start()
        {
            openedAt = Stopwatch.GetTimestamp();
            return null!;
        }

        private Tensor Stop()
        {
            elapsed += Stopwatch.GetTimestamp() - openedAt;
            calls++;
            return null!;
        }
    }
}
