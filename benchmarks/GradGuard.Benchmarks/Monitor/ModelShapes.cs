namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// The monitor on the model shapes people train on a CPU, from a 3-layer MLP whose step takes a tenth of a
/// millisecond to a ResNet. <see cref="RunRatios"/>: interleaved ratios of every variant against bare training, and
/// the default monitor's cadence when its model trains alone. <see cref="RunCosts"/>: each shape's collection timed
/// directly, and a cost model fitted over the shapes (microseconds per tensor, per site, per megabyte), figures a busy
/// machine blurs far less than whole-step ratios.
/// </summary>
internal static class ModelShapes
{
    /// <summary>Name, workload, interleaved rounds in quick mode, and pairs of attribution steps: fewer for the slow shapes.</summary>
    private static readonly (string Name, Workload Workload, int Rounds, int Pairs)[] Shapes =
    {
        ("tiny", Workload.TinyMlp, 30, 100),
        ("deep64", Workload.DeepNarrow64, 12, 40),
        ("deep256", Workload.DeepNarrow256, 8, 30),
        ("wide", Workload.Wide, 4, 10),
        ("resnet", Workload.ResNet, 4, 10),
        ("lstm", Workload.Lstm, 6, 15),
    };

    public static void RunRatios(bool full, Summary summary)
    {
        foreach (var (name, workload, rounds, _) in Shapes)
        {
            Console.WriteLine($"Shapes: {name}, bare and monitored steps interleaved, then the default monitor alone ...");
            var settings = new OverheadSettings(full ? 3 * rounds : rounds, WarmupRounds: 1, OverheadSettings.Monitors);
            MonitorOverhead.Run(workload, $"shapes.{name}", settings, summary);
            MonitorOverhead.RunAlone(workload, $"shapes.{name}", settings, summary);
        }
    }

    public static void RunCosts(bool full, Summary summary)
    {
        var costs = new List<CollectionCost>();
        foreach (var (name, workload, _, pairs) in Shapes)
        {
            Console.WriteLine($"Costs: {name}, Collect() and the hooks timed directly ...");
            costs.Add(MonitorAttribution.Run(workload, $"shapes.{name}", full ? 2 * pairs : pairs, summary));
        }

        FitCostModel(costs, summary);
        Console.WriteLine("Costs: mlp and convnet, Collect() and the hooks timed directly ...");
        MonitorAttribution.Run(Workload.DeepMlp, "costs.mlp", full ? 30 : 15, summary);
        MonitorAttribution.Run(Workload.SmallConvNet, "costs.convnet", full ? 50 : 25, summary);
    }

    /// <summary>
    /// Least squares over the shapes, in relative error (each shape's equation divided by its own time, so a 5 ms shape
    /// does not drown a 0.1 ms one): <c>Collect()</c> as a fixed cost plus a cost per tensor and per megabyte of
    /// gradient; the hooks of a measured pass as a cost per activation site and per megabyte of activation (the event
    /// every hooked module records is too cheap, and too tied to the sites in these shapes, to be told apart, and is
    /// in the per-site figure); a skipped pass as a cost per hooked module.
    /// </summary>
    private static void FitCostModel(IReadOnlyList<CollectionCost> costs, Summary summary)
    {
        var collect = LeastSquares.FitRelative(costs.Select(cost => (new double[] { 1, cost.Tensors, cost.GradientMegabytes }, cost.CollectMicroseconds)).ToList());
        summary.Add("shapes.cost_model.collect_fixed_us", collect[0], "F1");
        summary.Add("shapes.cost_model.collect_us_per_tensor", collect[1], "F2");
        summary.Add("shapes.cost_model.collect_us_per_gradient_mb", collect[2], "F1");
        var hooks = LeastSquares.FitRelative(costs.Where(cost => cost.Sites > 0).Select(cost => (new double[] { cost.Sites, cost.ActivationMegabytes }, cost.HooksMicroseconds)).ToList());
        summary.Add("shapes.cost_model.hooks_us_per_site", hooks[0], "F2");
        summary.Add("shapes.cost_model.hooks_us_per_activation_mb", hooks[1], "F1");
        summary.Add("shapes.cost_model.skipped_us_per_module", Statistics.Median(costs.Select(cost => cost.SkippedMicrosecondsPerModule)), "F3");
    }
}
