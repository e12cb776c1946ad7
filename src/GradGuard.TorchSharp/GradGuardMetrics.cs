using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GradGuard.TorchSharp;

/// <summary>
/// The Meter every monitor publishes through. Gauges are observed from each live monitor's latest report, an
/// immutable snapshot swapped in whole, so an exporter never sees half of one collection and half of the next.
/// </summary>
public static class GradGuardMetrics
{
    /// <summary>Name of the <see cref="Meter"/>; pass it to <c>AddMeter</c>, or call <c>AddGradGuardInstrumentation()</c>.</summary>
    public const string MeterName = "GradGuard.TorchSharp";

    /// <summary>Counter of collections performed.</summary>
    public const string CollectionsInstrument = "gradguard.collections";

    /// <summary>Counter of NaN and infinite gradient elements, per parameter.</summary>
    public const string NonFiniteInstrument = "gradguard.gradient.nonfinite";

    /// <summary>Counter of gradient problems diagnosed, once per episode.</summary>
    public const string DiagnosesInstrument = "gradguard.diagnoses";

    /// <summary>Gauge of each parameter's gradient L2 norm.</summary>
    public const string GradientNormInstrument = "gradguard.gradient.norm";

    /// <summary>Gauge of the L2 norm over all gradients.</summary>
    public const string TotalNormInstrument = "gradguard.gradient.total_norm";

    /// <summary>Gauge of the total norm before <see cref="GradientMonitor.ClipGradients"/>.</summary>
    public const string PreClipTotalNormInstrument = "gradguard.gradient.pre_clip_total_norm";

    /// <summary>Gauge of the first weight layer's gradient norm over the last one's.</summary>
    public const string FirstToLastInstrument = "gradguard.gradient.first_to_last";

    /// <summary>Gauge of dead units per ReLU-family layer.</summary>
    public const string DeadUnitsInstrument = "gradguard.activation.dead_units";

    /// <summary>Gauge of the dead fraction per ReLU-family layer.</summary>
    public const string DeadFractionInstrument = "gradguard.activation.dead";

    /// <summary>Gauge of the saturated fraction per sigmoid/tanh layer.</summary>
    public const string SaturatedFractionInstrument = "gradguard.activation.saturated";

    /// <summary>Attribute naming the monitored model.</summary>
    public const string ModelAttribute = "gradguard.model";

    /// <summary>Attribute naming the layer (module path) a measurement belongs to.</summary>
    public const string LayerAttribute = "gradguard.layer";

    /// <summary>Attribute giving the layer's position, input first.</summary>
    public const string LayerIndexAttribute = "gradguard.layer.index";

    /// <summary>Attribute naming the parameter in its layer (weight, bias, ...).</summary>
    public const string ParameterAttribute = "gradguard.parameter";

    /// <summary>Attribute telling whether an activation statistic came from a forward hook or a weight gradient.</summary>
    public const string SourceAttribute = "gradguard.activation.source";

    /// <summary>Attribute naming the diagnosed problem.</summary>
    public const string ProblemAttribute = "gradguard.problem";

    private static readonly ConcurrentDictionary<GradientMonitor, byte> LiveMonitors = new();
    private static readonly Meter Meter = new(MeterName, typeof(GradGuardMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Collections = Meter.CreateCounter<long>(
        CollectionsInstrument, "{collection}", "Gradient collections performed.");

    private static readonly Counter<long> NonFiniteValues = Meter.CreateCounter<long>(
        NonFiniteInstrument, "{value}", "NaN and infinite gradient elements, per parameter.");

    private static readonly Counter<long> Diagnoses = Meter.CreateCounter<long>(
        DiagnosesInstrument, "{diagnosis}", "Gradient problems diagnosed, counted once per episode.");

    static GradGuardMetrics()
    {
        Meter.CreateObservableGauge(GradientNormInstrument, () => Observe(ParameterNorms), null,
            "L2 norm of each parameter's gradient at the last collection.");
        Meter.CreateObservableGauge(TotalNormInstrument, () => Observe(TotalNorm), null,
            "L2 norm over all gradients at the last collection.");
        Meter.CreateObservableGauge(PreClipTotalNormInstrument, () => Observe(PreClipTotalNorm), null,
            "L2 norm over all gradients before GradientMonitor.ClipGradients rescaled them.");
        Meter.CreateObservableGauge(FirstToLastInstrument, () => Observe(FirstToLast), "1",
            "First weight layer's gradient norm divided by the last one's.");
        Meter.CreateObservableGauge(DeadUnitsInstrument, () => Observe(DeadUnits), "{unit}",
            "Units of a ReLU-family layer that were zero for the whole batch.");
        Meter.CreateObservableGauge(DeadFractionInstrument, () => Observe(DeadFraction), "1",
            "Fraction of a ReLU-family layer's units that were zero for the whole batch.");
        Meter.CreateObservableGauge(SaturatedFractionInstrument, () => Observe(SaturatedFraction), "1",
            "Fraction of a sigmoid/tanh layer's pre-activations in the flat tails.");
    }

    internal static void Register(GradientMonitor monitor) => LiveMonitors.TryAdd(monitor, 0);

    internal static void Unregister(GradientMonitor monitor) => LiveMonitors.TryRemove(monitor, out _);

    internal static void RecordCollection(string model, GradientReport report)
    {
        Collections.Add(1, new KeyValuePair<string, object?>(ModelAttribute, model));
        foreach (var parameter in report.Parameters.Where(parameter => parameter.NonFiniteCount > 0))
        {
            NonFiniteValues.Add(parameter.NonFiniteCount, ParameterTags(model, parameter));
        }

        foreach (var diagnosis in report.Diagnoses)
        {
            var tags = new TagList
            {
                { ModelAttribute, model },
                { ProblemAttribute, ProblemName(diagnosis.Kind) },
            };
            if (diagnosis.Layer is not null)
            {
                tags.Add(LayerAttribute, diagnosis.Layer);
            }

            Diagnoses.Add(1, tags);
        }
    }

    /// <summary>The value of <see cref="ProblemAttribute"/> for a problem: snake_case, as OpenTelemetry attribute values go.</summary>
    public static string ProblemName(GradientProblem problem) => problem switch
    {
        GradientProblem.VanishingGradients => "vanishing_gradients",
        GradientProblem.ExplodingGradients => "exploding_gradients",
        GradientProblem.NonFiniteGradients => "non_finite_gradients",
        GradientProblem.DyingRelu => "dying_relu",
        GradientProblem.SaturatedActivations => "saturated_activations",
        _ => problem.ToString(),
    };

    private static IEnumerable<Measurement<T>> Observe<T>(Func<string, GradientReport, IEnumerable<Measurement<T>>> measure)
        where T : struct =>
        LiveMonitors.Keys
            .Select(monitor => (monitor.ModelName, Report: monitor.LastReport))
            .Where(entry => entry.Report is not null)
            .SelectMany(entry => measure(entry.ModelName, entry.Report!))
            .ToList();

    private static IEnumerable<Measurement<double>> ParameterNorms(string model, GradientReport report) =>
        report.Parameters.Select(parameter => new Measurement<double>(parameter.Norm, ParameterTags(model, parameter)));

    private static IEnumerable<Measurement<double>> TotalNorm(string model, GradientReport report) =>
        new[] { new Measurement<double>(report.TotalNorm, ModelTag(model)) };

    private static IEnumerable<Measurement<double>> PreClipTotalNorm(string model, GradientReport report) =>
        report.PreClipTotalNorm is { } norm ? new[] { new Measurement<double>(norm, ModelTag(model)) } : Array.Empty<Measurement<double>>();

    private static IEnumerable<Measurement<double>> FirstToLast(string model, GradientReport report) =>
        double.IsNaN(report.FirstToLastRatio) ? Array.Empty<Measurement<double>>() : new[] { new Measurement<double>(report.FirstToLastRatio, ModelTag(model)) };

    private static IEnumerable<Measurement<long>> DeadUnits(string model, GradientReport report) =>
        report.Activations.Where(activation => activation.Kind == ActivationKind.Rectifier)
            .Select(activation => new Measurement<long>(activation.DeadUnits, ActivationTags(model, activation)));

    private static IEnumerable<Measurement<double>> DeadFraction(string model, GradientReport report) =>
        report.Activations.Where(activation => activation.Kind == ActivationKind.Rectifier)
            .Select(activation => new Measurement<double>(activation.DeadFraction, ActivationTags(model, activation)));

    private static IEnumerable<Measurement<double>> SaturatedFraction(string model, GradientReport report) =>
        report.Activations.Where(activation => activation.Kind == ActivationKind.Saturating)
            .Select(activation => new Measurement<double>(activation.SaturatedFraction, ActivationTags(model, activation)));

    private static KeyValuePair<string, object?>[] ModelTag(string model) =>
        new[] { new KeyValuePair<string, object?>(ModelAttribute, model) };

    private static KeyValuePair<string, object?>[] ParameterTags(string model, ParameterGradient parameter) => new[]
    {
        new KeyValuePair<string, object?>(ModelAttribute, model),
        new KeyValuePair<string, object?>(LayerAttribute, parameter.Layer),
        new KeyValuePair<string, object?>(LayerIndexAttribute, parameter.LayerIndex),
        new KeyValuePair<string, object?>(ParameterAttribute, parameter.Parameter),
    };

    private static KeyValuePair<string, object?>[] ActivationTags(string model, ActivationStatistics activation) => new[]
    {
        new KeyValuePair<string, object?>(ModelAttribute, model),
        new KeyValuePair<string, object?>(LayerAttribute, activation.Layer),
        new KeyValuePair<string, object?>(SourceAttribute, activation.Source == ActivationSource.ForwardHook ? "forward_hook" : "weight_gradient"),
    };
}
