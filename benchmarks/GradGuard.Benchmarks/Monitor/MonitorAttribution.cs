using System.Diagnostics;
using GradGuard.TorchSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>What one workload's collections cost the monitor, per collection and per item it measures.</summary>
/// <param name="CollectMicroseconds">Median time of <c>Collect()</c> on a collecting call.</param>
/// <param name="SkippedCollectMicroseconds">Median time of <c>Collect()</c> on a call that does not collect: after a collection it turns the update ratio's copies into norms, and before one it puts the hooks back on.</param>
/// <param name="HooksMicroseconds">Median time of the monitor's forward hooks in a pass before a collecting call.</param>
/// <param name="SkippedHooksMicroseconds">The same in a pass before a call that does not collect.</param>
/// <param name="Tensors">Parameter tensors with a gradient, each read at a collection.</param>
/// <param name="Sites">Activation sites measured at a collection.</param>
/// <param name="Modules">Modules carrying the monitor's hooks.</param>
/// <param name="GradientMegabytes">Megabytes of gradients read at a collection.</param>
/// <param name="ActivationMegabytes">Megabytes of output of the ReLU, ReLU6, Sigmoid and Tanh modules in a pass.</param>
/// <param name="AllocatedKilobytes">Managed memory the monitor allocates per collection: both <c>Collect()</c> calls, and what a measured pass allocates more than a skipped one.</param>
internal sealed record CollectionCost(
    double CollectMicroseconds, double SkippedCollectMicroseconds, double HooksMicroseconds, double SkippedHooksMicroseconds, int Tensors, int Sites, int Modules,
    double GradientMegabytes, double ActivationMegabytes, double AllocatedKilobytes)
{
    /// <summary>A collection's whole cost at every second step: the hooks and both <c>Collect()</c> calls.</summary>
    public double CollectionMicroseconds => CollectMicroseconds + SkippedCollectMicroseconds + HooksMicroseconds;

    /// <summary>Per parameter tensor plus activation site: the figure the per-tensor goal is stated in.</summary>
    public double MicrosecondsPerItem => CollectionMicroseconds / (Tensors + Sites);

    /// <summary>Per hooked module on a pass that is not collected.</summary>
    public double SkippedMicrosecondsPerModule => SkippedHooksMicroseconds / Modules;
}

/// <summary>
/// Where the monitor's time goes in one workload's step, timed directly instead of as a ratio of whole steps, which a
/// busy machine blurs by more than the monitor costs. <c>Collect()</c> is timed on its own. The monitor's forward hooks
/// are timed between hooks of this class's own, registered on every module before and after the monitor attaches:
/// TorchSharp runs a module's hooks in the order they were registered, so the time between the two is the monitor's,
/// less what the two clock hooks cost themselves, measured on an identical model without a monitor between them.
/// <c>CollectEvery = 2</c> alternates passes the hooks measure with passes they skip, on one model.
/// </summary>
internal static class MonitorAttribution
{
    private const int WarmupSteps = 6;

    public static CollectionCost Run(Workload workload, string prefix, int pairs, Summary summary)
    {
        var (clockOverhead, activationBytes) = CalibrationPasses(workload, pairs);
        using var instance = WorkloadInstance.Create(workload);
        using var optimizer = optim.SGD(instance.Model.parameters(), 1e-3, momentum: 0.9);
        var modules = TimedModules(instance.Model);
        var hookClock = new HookClock();
        modules.ForEach(hookClock.Open);
        using var monitor = GradientMonitor.Attach(instance.Model, new GradientMonitorOptions { CollectEvery = 2 });
        modules.ForEach(hookClock.Close);

        var measuredHooks = new List<double>();
        var skippedHooks = new List<double>();
        var collect = new List<double>();
        var skippedCollect = new List<double>();
        var allocated = new List<double>();
        GradientReport? report = null;
        for (int step = 0; step < WarmupSteps + 2 * pairs; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            hookClock.Reset();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var output = instance.Model.call(instance.Input);
            long passAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            double hooks = hookClock.Microseconds - clockOverhead;
            nn.functional.cross_entropy(output, instance.Labels).backward();
            allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            var collected = monitor.Collect();
            double collecting = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            long collectAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            optimizer.step();
            report = collected ?? report;
            if (step < WarmupSteps)
            {
                continue;
            }

            (collected is not null ? measuredHooks : skippedHooks).Add(hooks);
            (collected is not null ? collect : skippedCollect).Add(collecting);
            // A measured pass and the skipped one after it: the difference of the two passes is what the hooks allocated.
            allocated.Add(collected is not null ? passAllocated + collectAllocated : collectAllocated - passAllocated);
        }

        double gradientBytes = instance.Model.parameters().Where(parameter => parameter.grad is not null).Sum(parameter => (double)parameter.numel() * parameter.element_size());
        var perCollection = allocated.Chunk(2).Where(pair => pair.Length == 2).Select(pair => pair.Sum() / 1024);
        var cost = new CollectionCost(
            Statistics.Median(collect), Statistics.Median(skippedCollect), Statistics.Median(measuredHooks), Statistics.Median(skippedHooks),
            report!.Parameters.Count, report.Activations.Count, instance.Model.modules().Count() + 1, gradientBytes / (1 << 20), activationBytes / (1 << 20),
            Statistics.Median(perCollection));
        summary.Add($"{prefix}.attribution.collect_us", cost.CollectMicroseconds, "F1");
        summary.Add($"{prefix}.attribution.collect_skipped_us", cost.SkippedCollectMicroseconds, "F1");
        summary.Add($"{prefix}.attribution.hooks_us", cost.HooksMicroseconds, "F1");
        summary.Add($"{prefix}.attribution.hooks_skipped_us", cost.SkippedHooksMicroseconds, "F2");
        summary.Add($"{prefix}.attribution.tensors", cost.Tensors);
        summary.Add($"{prefix}.attribution.sites", cost.Sites);
        summary.Add($"{prefix}.attribution.modules", cost.Modules);
        summary.Add($"{prefix}.attribution.gradient_mb", cost.GradientMegabytes, "F2");
        summary.Add($"{prefix}.attribution.activation_mb", cost.ActivationMegabytes, "F2");
        summary.Add($"{prefix}.attribution.us_per_item", cost.MicrosecondsPerItem, "F2");
        summary.Add($"{prefix}.attribution.skipped_us_per_module", cost.SkippedMicrosecondsPerModule, "F3");
        summary.Add($"{prefix}.attribution.allocated_kb", cost.AllocatedKilobytes, "F1");
        return cost;
    }

    /// <summary>The model and every module in it that takes one tensor: <c>modules()</c> leaves the model itself out.</summary>
    private static List<nn.Module<Tensor, Tensor>> TimedModules(nn.Module<Tensor, Tensor> model) =>
        model.modules().OfType<nn.Module<Tensor, Tensor>>().Prepend(model).ToList();

    /// <summary>
    /// What the clock's own two hooks add to a pass, timed on an identical model with nothing between them, and the bytes
    /// the activation modules put out in a pass.
    /// </summary>
    private static (double Microseconds, double ActivationBytes) CalibrationPasses(Workload workload, int passes)
    {
        using var instance = WorkloadInstance.Create(workload);
        var hookClock = new HookClock();
        foreach (var module in TimedModules(instance.Model))
        {
            hookClock.Open(module);
            hookClock.Close(module);
        }

        var overheads = new List<double>();
        for (int pass = 0; pass < WarmupSteps + passes; pass++)
        {
            using var scope = torch.NewDisposeScope();
            hookClock.Reset();
            instance.Model.call(instance.Input);
            overheads.Add(hookClock.Microseconds);
        }

        double activationBytes = 0;
        foreach (var activation in instance.Model.modules().Where(module => module is ReLU or ReLU6 or Sigmoid or Tanh).OfType<nn.Module<Tensor, Tensor>>())
        {
            activation.register_forward_hook((_, _, output) =>
            {
                activationBytes += output.numel() * output.element_size();
                return null!;
            });
        }

        using (var scope = torch.NewDisposeScope())
        {
            instance.Model.call(instance.Input);
        }

        return (Statistics.Median(overheads.Skip(WarmupSteps)), activationBytes);
    }

    /// <summary>Adds up, over a forward pass, the time between its opening and closing hooks of every module call.</summary>
    private sealed class HookClock
    {
        private long openedAt;
        private long elapsed;

        public double Microseconds => Stopwatch.GetElapsedTime(0, elapsed).TotalMicroseconds;

        public void Reset() => elapsed = 0;

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
            return null!;
        }
    }
}
