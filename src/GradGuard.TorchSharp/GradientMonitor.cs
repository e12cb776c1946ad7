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
/// TorchSharp has no backward hooks, so gradients are read from <c>.grad</c> at that call; activations are
/// reduced by forward hooks, which fire when modules are invoked through <c>call()</c>.
/// </summary>
public sealed class GradientMonitor : IDisposable
{
    private readonly GradientMonitorOptions options;
    private readonly ILogger logger;
    private readonly ModelStructure structure;
    private readonly List<ActivationProbe> probes;
    private readonly GradientDiagnostician diagnostician;
    private Tensor? pendingPreClipTotalNorm;
    private string skippedLastTime = "";
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
        probes = structure.Activations.Select(activation => new ActivationProbe(activation, options, IsArmed)).ToList();
        GradGuardMetrics.Register(this);
    }

    /// <summary>The <c>gradguard.model</c> attribute of this monitor's metrics.</summary>
    public string ModelName { get; }

    /// <summary>The report of the latest collection, or null before the first.</summary>
    public GradientReport? LastReport => lastReport;

    /// <summary>
    /// Attaches a monitor to <paramref name="model"/>: forward hooks on its ReLU, ReLU6, Sigmoid and Tanh modules,
    /// and a record of every parameter, in input-to-output order. Dispose the monitor to remove the hooks.
    /// </summary>
    /// <exception cref="ArgumentException">The module has no parameters (not built yet, or disposed).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static GradientMonitor Attach(nn.Module model, GradientMonitorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new GradientMonitor(model, (options ?? new GradientMonitorOptions()).Validated(), logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Reads every gradient and the activation statistics of the last training forward pass, diagnoses them,
    /// and publishes them as metrics. Call it after <c>backward()</c> and before <c>optimizer.step()</c>.
    /// Returns null on the calls that <see cref="GradientMonitorOptions.CollectEvery"/> skips.
    /// NaN and infinite gradients are counted and diagnosed, never thrown.
    /// </summary>
    public GradientReport? Collect()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        bool armed = IsArmed();
        collectCalls++;
        if (!armed)
        {
            DiscardPreClipTotalNorm();
            return null;
        }

        var report = Measure();
        lastReport = report;
        Publish(report);
        return report;
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
        Tensor scale = (maxNorm / (totalNorm + 1e-6)).clamp_max(1.0);
        foreach (var gradient in gradients)
        {
            gradient.mul_(scale.to(gradient.dtype));
        }

        if (IsArmed())
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
        foreach (var probe in probes)
        {
            probe.Dispose();
        }

        DiscardPreClipTotalNorm();
    }

    /// <summary>True when the next <see cref="Collect"/> call collects, so hooks measure only the passes that count.</summary>
    private bool IsArmed() => collectCalls % options.CollectEvery == 0;

    private GradientReport Measure()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var statistics = new DeviceStatistics();

        var withGradient = new List<(TrackedParameter Parameter, Tensor Gradient, int NormSlot)>();
        var inferred = new List<(TrackedParameter Parameter, long Units, int Slot)>();
        var skipped = new List<string>();
        foreach (var parameter in structure.Parameters)
        {
            if (parameter.Tensor.grad is not { } gradient)
            {
                skipped.Add(parameter.DisplayName);
                continue;
            }

            withGradient.Add((parameter, gradient, statistics.Add(gradient.norm())));
            if (structure.UnitsSeenThroughGradient.Contains(parameter))
            {
                inferred.Add((parameter, gradient.shape[0], statistics.Add(ZeroRows(gradient))));
            }
        }

        // Hook results and the pre-clip norm were kept out of every dispose scope until now; they end here.
        var handedOver = new List<Tensor>();
        var observed = new List<(ObservedActivation Activation, long Denominator, int Slot)>();
        foreach (var probe in probes)
        {
            if (probe.Take() is { } taken)
            {
                handedOver.Add(taken.Count);
                observed.Add((probe.Activation, taken.Denominator, statistics.Add(taken.Count)));
            }
        }

        int preClipSlot = -1;
        if (pendingPreClipTotalNorm is { } preClip)
        {
            handedOver.Add(preClip);
            preClipSlot = statistics.Add(preClip);
            pendingPreClipTotalNorm = null;
        }

        double[] values;
        try
        {
            values = statistics.CopyToHost();
        }
        finally
        {
            handedOver.ForEach(tensor => tensor.Dispose());
        }

        var parameters = withGradient.Select(entry => new ParameterGradient(
            entry.Parameter.LayerIndex, entry.Parameter.Layer, entry.Parameter.Name, values[entry.NormSlot],
            double.IsFinite(values[entry.NormSlot]) ? 0 : CountNonFinite(entry.Gradient),
            entry.Parameter.IsWeightMatrix)).ToList();

        var activations = observed.Select(entry => entry.Activation.Kind == ActivationKind.Rectifier
                ? new ActivationStatistics(entry.Activation.Layer, ActivationKind.Rectifier, ActivationSource.ForwardHook, entry.Denominator, (long)values[entry.Slot], 0)
                : new ActivationStatistics(entry.Activation.Layer, ActivationKind.Saturating, ActivationSource.ForwardHook, 0, 0, entry.Denominator == 0 ? 0 : values[entry.Slot] / entry.Denominator))
            .Concat(inferred.Select(entry => new ActivationStatistics(entry.Parameter.Layer, ActivationKind.Rectifier, ActivationSource.WeightGradient, entry.Units, (long)values[entry.Slot], 0)))
            .ToList();

        double totalNorm = Math.Sqrt(parameters.Sum(parameter => parameter.Norm * parameter.Norm));
        var weights = parameters.Where(parameter => parameter.IsWeightMatrix).ToList();
        double firstToLast = weights.Count >= 2 ? weights[0].Norm / weights[^1].Norm : double.NaN;
        var diagnoses = diagnostician.Diagnose(parameters, activations, totalNorm);

        return new GradientReport(collectCalls, parameters, activations, totalNorm,
            preClipSlot >= 0 ? values[preClipSlot] : null, firstToLast, diagnoses, skipped);
    }

    /// <summary>
    /// Rows (output units) of a weight gradient that are exactly zero: units that passed back no gradient for the
    /// whole batch. The largest magnitude is zero exactly when the row is, and reads 7× faster than count_nonzero.
    /// </summary>
    private static Tensor ZeroRows(Tensor gradient) =>
        gradient.reshape(gradient.shape[0], -1).abs().amax(new long[] { 1 }).eq(0).sum();

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
            GradGuardMetrics.RecordCollection(ModelName, report);
        }
        catch (Exception exception)
        {
            Log.MetricListenerFailed(logger, exception, ModelName);
        }

        foreach (var diagnosis in report.Diagnoses)
        {
            Log.GradientProblem(logger, ModelName, report.Step, GradGuardMetrics.ProblemName(diagnosis.Kind),
                diagnosis.Layer ?? "whole model", diagnosis.Value, diagnosis.Threshold, diagnosis.Message);
        }

        string skipped = string.Join(", ", report.SkippedParameters);
        if (skipped != skippedLastTime)
        {
            skippedLastTime = skipped;
            if (report.SkippedParameters.Count > 0)
            {
                Log.ParametersWithoutGradient(logger, ModelName, report.Step, report.SkippedParameters.Count, skipped);
            }
        }
    }

    private void DiscardPreClipTotalNorm()
    {
        pendingPreClipTotalNorm?.Dispose();
        pendingPreClipTotalNorm = null;
    }
}
