using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Watches the gradients of a TorchSharp module while it trains. Attach once, call <see cref="Collect"/> after
/// <c>backward()</c> and before <c>optimizer.step()</c>, and dispose to detach:
/// <code>
/// using var monitor = GradientMonitor.Attach(model);
/// loss.backward();
/// monitor.Collect();
/// optimizer.step();
/// </code>
/// TorchSharp has no backward hooks, so gradients are read from <c>.grad</c> at that call. Forward hooks, which fire
/// when modules are invoked through <c>call()</c>, record the order in which the pass ran its layers and reduce the
/// activation at every call site; modules called through <c>forward()</c> are placed by declaration order instead. The
/// hooks are on the modules only for the passes before a collecting call.
/// By default the monitor chooses which calls collect so that it takes at most 1% of training time
/// (<see cref="GradientMonitorOptions.CostBudget"/>); <see cref="GradientMonitorOptions.CollectEvery"/> fixes the cadence.
/// </summary>
public sealed class GradientMonitor : IDisposable
{
    private readonly GradientMonitorOptions options;
    private readonly ILogger logger;
    private readonly ModelStructure structure;
    private readonly ForwardPassRecorder recorder;
    private readonly GradientDiagnostician diagnostician;
    private readonly TrainingSignals signals;
    private readonly CollectionCadence cadence;
    private readonly HashSet<int> everSeen = new();
    private readonly Dictionary<int, string> loggedLists = new();
    private CollectionLayout? layout;
    private volatile PublishedSeries? published;
    private volatile MonitorCost cost;
    private string coarseningLogged = "";
    private Tensor? pendingPreClipTotalNorm;
    private Tensor? pendingLoss;
    private readonly MonitorClock clock;
    private long collectCalls;
    private volatile GradientReport? lastReport;
    private bool disposed;

    private GradientMonitor(nn.Module model, GradientMonitorOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        ModelName = options.ModelName ?? model.GetType().Name;
        structure = ModelStructure.Discover(model);
        if (structure.Parameters.Count == 0)
        {
            throw new ArgumentException(
                $"GradGuard: the module '{ModelName}' has no parameters to monitor. Attach to the model after building it, and not to a disposed module.",
                nameof(model));
        }

        diagnostician = new GradientDiagnostician(options);
        cadence = new CollectionCadence(options.CollectEvery, options.CostBudget);
        cost = cadence.Cost;
        clock = new MonitorClock(options.TimeProvider);
        recorder = new ForwardPassRecorder(structure, options) { Armed = true };
        signals = new TrainingSignals(structure, options, recorder);
        GradGuardMetrics.Register(this);
    }

    /// <summary>The <c>gradguard.model</c> attribute of this monitor's metrics.</summary>
    public string ModelName { get; }

    /// <summary>The report of the latest collection, or null before the first.</summary>
    public GradientReport? LastReport => lastReport;

    /// <summary>What the monitor costs, as it times itself, and the cadence it collects at (also published as metrics).</summary>
    public MonitorCost Cost => cost;

    /// <summary>
    /// The per-layer series a report publishes, worked out once per report whichever thread asks first (an exporter's
    /// or the training loop's), and said once in the log whenever the bound forces coarser blocks than the options ask.
    /// </summary>
    internal PublishedSeries Published(GradientReport report)
    {
        if (published is { } known && ReferenceEquals(known.Report, report))
        {
            return known;
        }

        var series = PublishedSeries.For(report, options);
        published = series;
        string coarsening = string.Join("; ", series.Coarsened);
        if (coarsening != coarseningLogged)
        {
            coarseningLogged = coarsening;
            foreach (var (instrument, items, groups, scheme, bound) in series.Coarsened)
            {
                Log.LayerSeriesCoarsened(logger, ModelName, items, bound, instrument, groups, scheme);
            }
        }

        return series;
    }

    /// <summary>
    /// Attaches a monitor to <paramref name="model"/>: forward hooks on every module, which record the order of the
    /// calls and measure the activation sites during the training passes before a collection, and a record of every
    /// parameter. Dispose the monitor to remove the hooks.
    /// </summary>
    /// <exception cref="ArgumentException">The module has no parameters (not built yet, or disposed).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static GradientMonitor Attach(nn.Module model, GradientMonitorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new GradientMonitor(model, (options ?? new GradientMonitorOptions()).Validated(), logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Reads every gradient and the activation statistics of the last training forward pass, diagnoses them, and
    /// publishes them as metrics. Call it once per training step, after <c>backward()</c> and before
    /// <c>optimizer.step()</c>: the monitor counts steps by these calls and times the step between them. Returns null on
    /// the calls its cadence skips (<see cref="GradientMonitorOptions.CollectEvery"/>, or the one it chooses within
    /// <see cref="GradientMonitorOptions.CostBudget"/>, see <see cref="Cost"/>); the first call always collects.
    /// NaN and infinite gradients are counted and diagnosed, never thrown. Pass the step's <paramref name="loss"/> to have
    /// a collected step read it in the same transfer as the gradients, report it (<see cref="GradientReport.Loss"/>,
    /// <c>gradguard.loss</c>), and diagnose a NaN or infinite loss and a spike against the collected losses before it;
    /// steps the cadence skips do not read it.
    /// </summary>
    /// <exception cref="ArgumentException">The loss holds more than one value.</exception>
    public GradientReport? Collect(Tensor? loss = null)
    {
        if (loss is not null && loss.numel() != 1)
        {
            throw new ArgumentException($"GradGuard: Collect takes the loss as one value; this tensor has shape [{string.Join(", ", loss.shape)}]. Reduce it (mean, sum) first.", nameof(loss));
        }

        pendingLoss = loss;
        try
        {
            return CollectStep();
        }
        finally
        {
            pendingLoss = null;
        }
    }

    private GradientReport? CollectStep()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var (hookTicks, hookBytes) = recorder.TakeHookWork();
        if (clock.CallStarted(clock.Now(), hookTicks, hookBytes) is { } step)
        {
            cadence.StepTimed(step);
        }

        collectCalls++;
        try
        {
            bool collecting = cadence.Collects(collectCalls);
            signals.StepTaken(collecting);
            if (!collecting)
            {
                DiscardPreClipTotalNorm();
                return null;
            }

            GradientReport report;
            try
            {
                report = Measure(recorder.Pass, cadence.LastCollected);
            }
            finally
            {
                recorder.Reset();
            }

            signals.Collected(report, layout!.Parameters);
            lastReport = report;
            Publish(report);
            ChooseCadence(report.Step, clock.CollectionTimed(clock.Now()));
            return report;
        }
        finally
        {
            recorder.Armed = cadence.Collects(collectCalls + 1);
            clock.CallEnded(clock.Now());
        }
    }

    /// <summary>
    /// Rescales all gradients so that their total L2 norm is at most <paramref name="maxNorm"/>, as
    /// <c>torch.nn.utils.clip_grad_norm_</c> does, without a host synchronisation. The next collection reports
    /// the total norm before clipping beside the norms after it.
    /// </summary>
    public void ClipGradients(double maxNorm)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "GradGuard: ClipGradients needs a maximum norm greater than 0.");
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var gradients = structure.Parameters.Select(parameter => parameter.Tensor.grad).OfType<Tensor>().ToList();
        if (gradients.Count == 0)
        {
            return;
        }

        Tensor totalNorm = torch.linalg.vector_norm(torch.stack(gradients.Select(gradient => gradient.norm())), 2, null, false);
        // maxNorm / (totalNorm + 1e-6), capped at 1, spelled as TorchSharp's operators compute it but with Scalars held to
        // the end, for the reason UnitReductions gives: users call this beside an exporter thread that allocates.
        using var epsilon = 1e-6.ToScalar();
        using var limit = maxNorm.ToScalar();
        using var atMostOne = 1.0.ToScalar();
        Tensor scale = totalNorm.add(epsilon).reciprocal().mul(limit).clamp_max(atMostOne);
        foreach (var gradient in gradients)
        {
            gradient.mul_(scale.to(gradient.dtype));
        }

        if (recorder.Armed)
        {
            DiscardPreClipTotalNorm();
            pendingPreClipTotalNorm = totalNorm.DetachFromDisposeScope();
        }
    }

    /// <summary>Removes the forward hooks and stops publishing this model's metrics.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        GradGuardMetrics.Unregister(this);
        recorder.Dispose();
        signals.Dispose();
        DiscardPreClipTotalNorm();
    }

    /// <summary>Times the collection that just ended into the cadence, and says when that changed it.</summary>
    private void ChooseCadence(long step, double seconds)
    {
        int? previous = cadence.Collected(step, seconds);
        var current = cadence.Cost;
        cost = current;
        if (previous is { } was)
        {
            Log.CollectionCadenceChanged(logger, ModelName, step, current.CollectEvery, was, current.CollectionMilliseconds ?? double.NaN,
                current.StepMilliseconds ?? double.NaN, current.TimeShare ?? double.NaN, current.Budget ?? double.NaN);
        }
    }

    private GradientReport Measure(ForwardPass pass, long? previousStep)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var statistics = pass.Statistics;
        var gradients = new Tensor?[structure.Parameters.Count];
        for (int index = 0; index < gradients.Length; index++)
        {
            gradients[index] = structure.Parameters[index].Tensor.grad;
        }

        bool followedPlan = pass.Matches(recorder.Plan.Expected);
        var current = LayoutFor(pass, gradients, followedPlan);
        var sites = ActivationSites.Prepare(pass, current.Order, options, layer => layer.WeightMatrix is { } weight ? gradients[weight.Index] : null);
        var withGradient = current.Parameters.Select(entry => gradients[entry.Parameter.Index]!).ToList();
        var gradientSlots = current.Norms.Queue(withGradient, statistics);
        int preClipEntry = -1;
        if (pendingPreClipTotalNorm is { } preClip)
        {
            preClipEntry = statistics.Add(preClip);
            pendingPreClipTotalNorm = null;
        }

        var readSignals = signals.Queue(statistics, pendingLoss);
        var values = statistics.CopyToHost();
        var measured = readSignals(values);
        var parameters = new List<ParameterGradient>(withGradient.Count);
        for (int index = 0; index < withGradient.Count; index++)
        {
            var (layer, parameter) = current.Parameters[index];
            var figures = gradientSlots[index].Read(values);
            parameters.Add(new ParameterGradient(layer.Index, parameter.Owner.Path, parameter.Name, figures.Norm,
                double.IsFinite(figures.Norm) ? 0 : CountNonFinite(withGradient[index]), parameter.IsWeightMatrix)
            {
                Placement = layer.Placement,
                Elements = gradientSlots[index].Elements,
                MaxMagnitude = figures.MaxMagnitude,
                ZeroFraction = figures.ZeroFraction,
                Histogram = figures.Histogram,
            });
        }

        var (activations, plan) = sites.Resolve(values, learn: !followedPlan);
        if (plan is not null)
        {
            recorder.Learn(plan);
        }

        if (!followedPlan)
        {
            everSeen.UnionWith(pass.Events.Select(traced => traced.Module));
        }

        double totalNorm = Math.Sqrt(parameters.Sum(parameter => parameter.Norm * parameter.Norm));
        var weights = parameters.Where(parameter => parameter.IsWeightMatrix && parameter.Placement != LayerPlacement.Unused).ToList();
        double firstToLast = weights.Count >= 2 ? weights[0].Norm / weights[^1].Norm : double.NaN;
        bool nonFinite = parameters.Any(parameter => parameter.NonFiniteCount > 0) || measured.Loss is { } loss && !double.IsFinite(loss);
        var diagnoses = measured.Annotate(
            diagnostician.Diagnose(weights, parameters, activations, totalNorm, current.Order.OrderInferred, measured.Problems(), collectCalls, previousStep),
            parameters, activations, clipped: preClipEntry >= 0, nonFinite);

        return new GradientReport(collectCalls, parameters, activations, totalNorm,
            preClipEntry >= 0 ? values[preClipEntry] : null, firstToLast, diagnoses, current.SkippedParameters)
        {
            OrderInferred = current.Order.OrderInferred,
            UnusedLayers = current.UnusedLayers,
            LayersNotSeen = current.LayersNotSeen,
            PreviousStep = previousStep,
            CollectEvery = cadence.Every,
            UpdateRatios = measured.UpdateRatios,
            Loss = measured.Loss,
            NonFiniteOrigin = measured.NonFiniteOrigin,
            SkipStep = nonFinite,
        };
    }

    /// <summary>
    /// The layers in the order this pass ran them, and what follows from it. Worked out again only when the pass ran
    /// other calls than the one the plan was learned from, or other parameters got gradients.
    /// </summary>
    private CollectionLayout LayoutFor(ForwardPass pass, Tensor?[] gradients, bool followedPlan)
    {
        if (layout is { } last && followedPlan && last.HasGradients(gradients))
        {
            return last;
        }

        var order = ForwardOrder.Compute(structure, pass.Events, layer => layer.Parameters.Any(parameter => gradients[parameter.Index] is not null), everSeen);
        layout = CollectionLayout.Of(structure, order, gradients, options);
        return layout;
    }

    /// <summary>Runs only when a norm came back NaN or infinite, so the healthy path keeps its single transfer.</summary>
    private static long CountNonFinite(Tensor gradient)
    {
        using Tensor count = gradient.isfinite().logical_not().sum();
        return count.item<long>();
    }

    private void Publish(GradientReport report)
    {
        try
        {
            GradGuardMetrics.RecordCollection(this, report);
        }
        catch (Exception exception)
        {
            Log.MetricListenerFailed(logger, exception, ModelName);
        }

        foreach (var diagnosis in report.Diagnoses)
        {
            Log.GradientProblem(logger, ModelName, report.Step, report.PreviousStep is { } previous ? $"step {previous}" : "none", GradGuardMetrics.ProblemName(diagnosis.Kind),
                diagnosis.Layer ?? "whole model", diagnosis.Value, diagnosis.Threshold, diagnosis.Message, diagnosis.Rule ?? "none");
        }

        LogWhenChanged(2, report.SkippedParameters, parameters => Log.ParametersWithoutGradient(logger, ModelName, report.Step, parameters.Count, string.Join(", ", parameters)));
        LogWhenChanged(4, report.LayersNotSeen, layers => Log.LayersNotSeen(logger, ModelName, report.Step, layers.Count, string.Join(", ", layers), RuleCitations.HelpLink("GG0006")));
        LogWhenChanged(5, report.UnusedLayers, layers => Log.UnusedLayers(logger, ModelName, report.Step, layers.Count, string.Join(", ", layers)));
    }

    /// <summary>Logs a list of names once when it changes to a non-empty list, so a training loop is told without being flooded.</summary>
    private void LogWhenChanged(int eventId, IReadOnlyList<string> names, Action<IReadOnlyList<string>> log)
    {
        string joined = string.Join("\n", names);
        if (loggedLists.GetValueOrDefault(eventId, "") == joined)
        {
            return;
        }

        loggedLists[eventId] = joined;
        if (names.Count > 0)
        {
            log(names);
        }
    }

    private void DiscardPreClipTotalNorm()
    {
        pendingPreClipTotalNorm?.Dispose();
        pendingPreClipTotalNorm = null;
    }
}
