using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

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

    /// <summary>Gauge of each parameter's largest gradient magnitude, max |g|.</summary>
    public const string MaxMagnitudeInstrument = "gradguard.gradient.max_abs";

    /// <summary>Gauge of the fraction of each parameter's gradient elements that are exactly zero (AUTOTRAINER's dying measure).</summary>
    public const string ZeroFractionInstrument = "gradguard.gradient.zero_fraction";

    /// <summary>
    /// Gauge of each weight layer's gradient magnitude distribution: per bin, the fraction of its elements with |g| at most
    /// the bin's upper bound (attribute <see cref="BucketBoundAttribute"/>), cumulative as a Prometheus histogram's buckets.
    /// </summary>
    public const string HistogramInstrument = "gradguard.gradient.histogram";

    /// <summary>Gauge of the L2 norm over all gradients.</summary>
    public const string TotalNormInstrument = "gradguard.gradient.total_norm";

    /// <summary>Gauge of the total norm before <see cref="GradientMonitor.ClipGradients"/>.</summary>
    public const string PreClipTotalNormInstrument = "gradguard.gradient.pre_clip_total_norm";

    /// <summary>Gauge of the first weight layer's gradient norm over the last one's, in forward order.</summary>
    public const string FirstToLastInstrument = "gradguard.gradient.first_to_last";

    /// <summary>Gauge of the first weight layer's gradient norm, which the vanishing diagnosis requires to be small too.</summary>
    public const string FirstLayerNormInstrument = "gradguard.gradient.first_layer_norm";

    /// <summary>Gauge of the largest factor by which the weight-gradient norm shrinks from one weight layer to the one before it.</summary>
    public const string LargestLayerDecayInstrument = "gradguard.gradient.largest_layer_decay";

    /// <summary>Gauge of dead units per rectifier site.</summary>
    public const string DeadUnitsInstrument = "gradguard.activation.dead_units";

    /// <summary>Gauge of the dead fraction per rectifier site.</summary>
    public const string DeadFractionInstrument = "gradguard.activation.dead";

    /// <summary>Gauge of the saturated fraction per sigmoid/tanh site.</summary>
    public const string SaturatedFractionInstrument = "gradguard.activation.saturated";

    /// <summary>Gauge of the fraction of units without gradient per layer whose activation was not seen.</summary>
    public const string WithoutGradientInstrument = "gradguard.activation.without_gradient";

    /// <summary>Gauge of each weight layer's ‖Δw‖/‖w‖ for the optimizer step after the previous collection.</summary>
    public const string UpdateRatioInstrument = "gradguard.update.ratio";

    /// <summary>Gauge of the loss passed to the last collection.</summary>
    public const string LossInstrument = "gradguard.loss";

    /// <summary>Gauge of the cadence the monitor collects at: every this many steps.</summary>
    public const string CadenceInstrument = "gradguard.monitor.cadence";

    /// <summary>Gauge of the monitor's share of training time at its cadence, as it times itself.</summary>
    public const string TimeShareInstrument = "gradguard.monitor.time_share";

    /// <summary>Attribute naming the monitored model.</summary>
    public const string ModelAttribute = "gradguard.model";

    /// <summary>Attribute naming the layer (module path) or activation site (path, <c>#k</c> for a module's k-th call) a measurement belongs to.</summary>
    public const string LayerAttribute = "gradguard.layer";

    /// <summary>Attribute giving the layer's position in forward order, input first.</summary>
    public const string LayerIndexAttribute = "gradguard.layer.index";

    /// <summary>Attribute naming the parameter in its layer (weight, bias, ...).</summary>
    public const string ParameterAttribute = "gradguard.parameter";

    /// <summary>Attribute telling how an activation site was observed: <c>forward_hook</c>, <c>functional_call</c> or <c>weight_gradient</c>.</summary>
    public const string SourceAttribute = "gradguard.activation.source";

    /// <summary>
    /// Attribute giving a <see cref="HistogramInstrument"/> bin's inclusive upper bound (<c>0</c>, <c>9.094947017729282E-13</c>,
    /// ..., <c>256</c>, <c>+Inf</c>). Spelled <c>le</c>, as Prometheus spells a bucket's bound, so that Grafana's heatmap
    /// format and <c>histogram_quantile</c> read the series as they read a histogram's buckets.
    /// </summary>
    public const string BucketBoundAttribute = "le";

    /// <summary>Attribute naming the diagnosed problem.</summary>
    public const string ProblemAttribute = "gradguard.problem";

    /// <summary>Attribute naming the compile-time rule (<c>GG0001</c>, ...) that finds a diagnosed problem's cause in the source.</summary>
    public const string RuleAttribute = "gradguard.rule";

    /// <summary>
    /// Attribute telling whether a figure that depends on the layer order rests on the order the forward pass showed
    /// (<c>forward_pass</c>) or on one partly inferred from declaration order (<c>inferred</c>).
    /// </summary>
    public const string OrderAttribute = "gradguard.order";

    private static readonly ConcurrentDictionary<GradientMonitor, byte> LiveMonitors = new();
    private static readonly string[] BucketBounds = GradientHistogram.UpperBounds
        .Select(bound => double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString("R", CultureInfo.InvariantCulture))
        .ToArray();
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
        Meter.CreateObservableGauge(MaxMagnitudeInstrument, () => Observe(MaxMagnitudes), null,
            "Largest magnitude |g| of each parameter's gradient at the last collection.");
        Meter.CreateObservableGauge(ZeroFractionInstrument, () => Observe(ZeroFractions), "1",
            "Fraction of each parameter's gradient elements that were exactly zero at the last collection.");
        Meter.CreateObservableGauge(HistogramInstrument, () => Observe(Histograms), "1",
            "Fraction of each weight layer's gradient elements with magnitude at most the bound le, at the last collection (cumulative, octave bins 2^-40 to 2^8).");
        Meter.CreateObservableGauge(TotalNormInstrument, () => Observe(TotalNorm), null,
            "L2 norm over all gradients at the last collection.");
        Meter.CreateObservableGauge(PreClipTotalNormInstrument, () => Observe(PreClipTotalNorm), null,
            "L2 norm over all gradients before GradientMonitor.ClipGradients rescaled them.");
        Meter.CreateObservableGauge(FirstToLastInstrument, () => Observe(FirstToLast), "1",
            "First weight layer's gradient norm divided by the last one's, in forward order.");
        Meter.CreateObservableGauge(FirstLayerNormInstrument, () => Observe(FirstLayerNorm), null,
            "First weight layer's gradient norm, in forward order.");
        Meter.CreateObservableGauge(LargestLayerDecayInstrument, () => Observe(LargestLayerDecay), "1",
            "Largest factor by which the weight-gradient norm shrinks from one weight layer to the one before it.");
        Meter.CreateObservableGauge(DeadUnitsInstrument, () => Observe(DeadUnits), "{unit}",
            "Units of a rectifier site that were zero for the whole batch.");
        Meter.CreateObservableGauge(DeadFractionInstrument, () => Observe(DeadFraction), "1",
            "Fraction of a rectifier site's units that were zero for the whole batch.");
        Meter.CreateObservableGauge(SaturatedFractionInstrument, () => Observe(SaturatedFraction), "1",
            "Fraction of a sigmoid/tanh site's pre-activations at or beyond the saturation threshold.");
        Meter.CreateObservableGauge(WithoutGradientInstrument, () => Observe(WithoutGradient), "1",
            "Fraction of a layer's units whose weight-gradient row was exactly zero, where no activation was seen after the layer.");
        Meter.CreateObservableGauge(UpdateRatioInstrument, () => Observe(UpdateRatios), "1",
            "Each weight layer's update norm over its weight norm for the optimizer step after the previous collection.");
        Meter.CreateObservableGauge(LossInstrument, () => Observe(Loss), null,
            "Loss passed to the last collection.");

        Meter.CreateObservableGauge(CadenceInstrument, () => ObserveCost<int>(cost => cost.CollectEvery), "{step}",
            "The monitor collects at every this many steps: GradientMonitorOptions.CollectEvery, or the cadence it chose within its cost budget.");
        Meter.CreateObservableGauge(TimeShareInstrument, () => ObserveCost<double>(cost => cost.TimeShare), "1",
            "The monitor's share of training time at its cadence, from its own timing of a collection and of a training step.");
    }

    internal static void Register(GradientMonitor monitor) => LiveMonitors.TryAdd(monitor, 0);

    internal static void Unregister(GradientMonitor monitor) => LiveMonitors.TryRemove(monitor, out _);

    internal static void RecordCollection(GradientMonitor monitor, GradientReport report)
    {
        string model = monitor.ModelName;
        Collections.Add(1, new KeyValuePair<string, object?>(ModelAttribute, model));
        if (report.Diagnoses.Count == 0 && report.Parameters.All(parameter => parameter.NonFiniteCount == 0))
        {
            return;
        }

        var published = monitor.Published(report);
        var nonFinite = report.Parameters
            .Where(parameter => parameter.NonFiniteCount > 0 && published.LayerOf(parameter.Layer) is not null)
            .GroupBy(parameter => (Layer: published.LayerOf(parameter.Layer)!, parameter.Parameter));
        foreach (var group in nonFinite)
        {
            NonFiniteValues.Add(group.Sum(parameter => parameter.NonFiniteCount), new TagList
            {
                { ModelAttribute, model },
                { LayerAttribute, group.Key.Layer },
                { LayerIndexAttribute, group.Min(parameter => parameter.LayerIndex) },
                { ParameterAttribute, group.Key.Parameter },
            });
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
                tags.Add(LayerAttribute, published.SiteOf(diagnosis.Layer) ?? diagnosis.Layer);
            }

            if (diagnosis.Kind is GradientProblem.VanishingGradients or GradientProblem.ExplodingGradients)
            {
                tags.Add(OrderAttribute, OrderName(diagnosis.OrderInferred));
            }

            if (diagnosis.Rule is not null)
            {
                tags.Add(RuleAttribute, diagnosis.Rule);
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
        GradientProblem.UnitsWithoutGradient => "units_without_gradient",
        GradientProblem.UpdatesTooSmall => "updates_too_small",
        GradientProblem.UpdatesTooLarge => "updates_too_large",
        GradientProblem.NonFiniteLoss => "non_finite_loss",
        GradientProblem.LossSpike => "loss_spike",
        _ => problem.ToString(),
    };

    /// <summary>The value of <see cref="SourceAttribute"/> for a source.</summary>
    public static string SourceName(ActivationSource source) => source switch
    {
        ActivationSource.ForwardHook => "forward_hook",
        ActivationSource.FunctionalCall => "functional_call",
        ActivationSource.WeightGradient => "weight_gradient",
        _ => source.ToString(),
    };

    /// <summary>The value of <see cref="OrderAttribute"/>.</summary>
    public static string OrderName(bool inferred) => inferred ? "inferred" : "forward_pass";

    private static IEnumerable<Measurement<T>> Observe<T>(Func<string, PublishedSeries, IEnumerable<Measurement<T>>> measure)
        where T : struct =>
        LiveMonitors.Keys
            .Select(monitor => (monitor.ModelName, Report: monitor.LastReport, Monitor: monitor))
            .Where(entry => entry.Report is not null)
            .SelectMany(entry => measure(entry.ModelName, entry.Monitor.Published(entry.Report!)))
            .ToList();

    private static IEnumerable<Measurement<T>> ObserveCost<T>(Func<MonitorCost, T?> figure)
        where T : struct =>
        LiveMonitors.Keys
            .Select(monitor => (monitor.ModelName, Figure: figure(monitor.Cost)))
            .Where(entry => entry.Figure is not null)
            .Select(entry => new Measurement<T>(entry.Figure!.Value, ModelTag(entry.ModelName)))
            .ToList();

    private static IEnumerable<Measurement<double>> ParameterNorms(string model, PublishedSeries published) =>
        published.Norms.Select(norm => new Measurement<double>(norm.Norm, ParameterTags(model, norm)));

    private static IEnumerable<Measurement<double>> MaxMagnitudes(string model, PublishedSeries published) =>
        published.Norms.Where(norm => norm.MaxMagnitude is not null).Select(norm => new Measurement<double>(norm.MaxMagnitude!.Value, ParameterTags(model, norm)));

    private static IEnumerable<Measurement<double>> ZeroFractions(string model, PublishedSeries published) =>
        published.Norms.Where(norm => norm.ZeroFraction is not null).Select(norm => new Measurement<double>(norm.ZeroFraction!.Value, ParameterTags(model, norm)));

    private static TagList ParameterTags(string model, PublishedNorm norm) => new()
    {
        { ModelAttribute, model },
        { LayerAttribute, norm.Layer },
        { LayerIndexAttribute, norm.LayerIndex },
        { ParameterAttribute, norm.Parameter },
        { OrderAttribute, OrderName(norm.OrderInferred) },
    };

    /// <summary>Cumulative, as Prometheus buckets are: a gauge per bound, so each scrape shows the last collection's distribution, not a running total.</summary>
    private static IEnumerable<Measurement<double>> Histograms(string model, PublishedSeries published) =>
        published.Histograms.SelectMany(histogram =>
        {
            double total = histogram.Counts.Sum();
            long below = 0;
            return histogram.Counts.Select((count, bin) =>
            {
                below += count;
                return new Measurement<double>(total == 0 ? 0 : below / total, new TagList
                {
                    { ModelAttribute, model },
                    { LayerAttribute, histogram.Layer },
                    { LayerIndexAttribute, histogram.LayerIndex },
                    { ParameterAttribute, histogram.Parameter },
                    { BucketBoundAttribute, BucketBounds[bin] },
                });
            }).ToList();
        });

    private static IEnumerable<Measurement<double>> TotalNorm(string model, PublishedSeries published) =>
        new[] { new Measurement<double>(published.Report.TotalNorm, ModelTag(model)) };

    private static IEnumerable<Measurement<double>> PreClipTotalNorm(string model, PublishedSeries published) =>
        published.Report.PreClipTotalNorm is { } norm ? new[] { new Measurement<double>(norm, ModelTag(model)) } : Array.Empty<Measurement<double>>();

    private static IEnumerable<Measurement<double>> FirstToLast(string model, PublishedSeries published) =>
        OrderDependent(model, published.Report, published.Report.FirstToLastRatio);

    private static IEnumerable<Measurement<double>> FirstLayerNorm(string model, PublishedSeries published) =>
        OrderDependent(model, published.Report, published.Report.FirstLayerNorm);

    private static IEnumerable<Measurement<double>> LargestLayerDecay(string model, PublishedSeries published) =>
        OrderDependent(model, published.Report, published.Report.LargestLayerDecay);

    private static IEnumerable<Measurement<double>> OrderDependent(string model, GradientReport report, double value) =>
        double.IsNaN(value)
            ? Array.Empty<Measurement<double>>()
            : new[] { new Measurement<double>(value, new TagList { { ModelAttribute, model }, { OrderAttribute, OrderName(report.OrderInferred) } }) };

    /// <summary>A block's ratio is its layers' update norm over their weight norm, both as L2 norms over the block, like its gradient norm.</summary>
    private static IEnumerable<Measurement<double>> UpdateRatios(string model, PublishedSeries published) =>
        published.Report.UpdateRatios
            .Where(ratio => published.LayerOf(ratio.Layer) is not null)
            .GroupBy(ratio => published.LayerOf(ratio.Layer)!)
            .Select(block => new Measurement<double>(
                Math.Sqrt(block.Sum(ratio => ratio.UpdateNorm * ratio.UpdateNorm)) / Math.Sqrt(block.Sum(ratio => ratio.WeightNorm * ratio.WeightNorm)),
                new TagList
                {
                    { ModelAttribute, model },
                    { LayerAttribute, block.Key },
                    { LayerIndexAttribute, block.Min(ratio => ratio.LayerIndex) },
                }));

    private static IEnumerable<Measurement<double>> Loss(string model, PublishedSeries published) =>
        published.Report.Loss is { } loss ? new[] { new Measurement<double>(loss, ModelTag(model)) } : Array.Empty<Measurement<double>>();

    private static IEnumerable<Measurement<long>> DeadUnits(string model, PublishedSeries published) =>
        published.Rectifiers.Select(entry => new Measurement<long>(entry.Site.DeadUnits ?? 0, SiteTags(model, entry)));

    private static IEnumerable<Measurement<double>> DeadFraction(string model, PublishedSeries published) =>
        published.Rectifiers.Select(entry => new Measurement<double>(entry.Site.DeadFraction ?? 0, SiteTags(model, entry)));

    private static IEnumerable<Measurement<double>> SaturatedFraction(string model, PublishedSeries published) =>
        published.Saturating.Select(entry => new Measurement<double>(entry.Site.SaturatedFraction ?? 0, SiteTags(model, entry)));

    private static IEnumerable<Measurement<double>> WithoutGradient(string model, PublishedSeries published) =>
        published.WithoutGradient.Select(entry => new Measurement<double>(entry.Site.WithoutGradientFraction ?? 0, SiteTags(model, entry)));

    private static KeyValuePair<string, object?>[] ModelTag(string model) =>
        new[] { new KeyValuePair<string, object?>(ModelAttribute, model) };

    private static TagList SiteTags(string model, (string Layer, ActivationStatistics Site) entry) => new()
    {
        { ModelAttribute, model },
        { LayerAttribute, entry.Layer },
        { SourceAttribute, SourceName(entry.Site.Source) },
    };
}
