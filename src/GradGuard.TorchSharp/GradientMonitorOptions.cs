namespace GradGuard.TorchSharp;

/// <summary>
/// What a <see cref="GradientMonitor"/> measures, how often, and when it calls a gradient problem.
/// The defaults are the thresholds published by AUTOTRAINER (vanishing, exploding) and DeepDiagnosis
/// (dying ReLU, saturation); docs/monitor.md explains each.
/// </summary>
public sealed class GradientMonitorOptions
{
    /// <summary>Value of the <c>gradguard.model</c> attribute; defaults to the module's type name.</summary>
    public string? ModelName { get; set; }

    /// <summary>
    /// Collect on every N-th call of <see cref="GradientMonitor.Collect"/> (the first call included), whatever that costs:
    /// a fixed cadence, for runs and tests that need to know which steps are collected. Null (the default) lets the
    /// monitor choose its cadence within <see cref="CostBudget"/>. The calls in between cost next to nothing.
    /// </summary>
    public int? CollectEvery { get; set; }

    /// <summary>
    /// When <see cref="CollectEvery"/> is not set: the largest share of training time the monitor may take, 0.01 for
    /// 1%. The monitor times its own work and the training step between two <see cref="GradientMonitor.Collect"/>
    /// calls, and collects at every step where that fits and at every N-th (N = 2, 5, 10, 20, 50, ...) where it does
    /// not; the first call always collects. Null collects at every step. With <see cref="CollectEvery"/> set the
    /// budget is not applied, and the monitor still measures and publishes its share.
    /// </summary>
    public double? CostBudget { get; set; } = 0.01;

    /// <summary>
    /// The clock the monitor times its own work and the training step with, for <see cref="CostBudget"/> and
    /// <see cref="GradientMonitor.Cost"/>: its hooks and <see cref="GradientMonitor.Collect"/> read
    /// <see cref="System.TimeProvider.GetTimestamp"/>. <see cref="System.TimeProvider.System"/> (the default) is the
    /// wall clock. Give each model its own clock where one thread trains several models in turns: a clock that runs only
    /// while its model's steps run lets each monitor see the step its model takes alone, where the wall clock would count
    /// the other models' steps as its own. Tests give a clock they advance by hand, for a cadence they can predict. The
    /// garbage collector's pauses are counted in real time whatever the clock, so a clock should run at real-time rate
    /// while it runs.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Vanishing when the first layer's weight-gradient norm divided by the last layer's is below this ...</summary>
    public double VanishingRatio { get; set; } = 1e-3;

    /// <summary>... and the first layer's weight-gradient norm is below this.</summary>
    public double VanishingFirstLayerNorm { get; set; } = 1e-4;

    /// <summary>Vanishing also when the gradient shrinks by at least this factor across a single layer (from a layer to the one before it).</summary>
    public double LayerDecayFactor { get; set; } = 10;

    /// <summary>Exploding when the first layer's weight-gradient norm divided by the last layer's exceeds this.</summary>
    public double ExplodingRatio { get; set; } = 70;

    /// <summary>Exploding when the total gradient norm (all parameters) exceeds this.</summary>
    public double ExplodingTotalNorm { get; set; } = 1e3;

    /// <summary>Exploding when the total gradient norm grew at each of the last <see cref="ExplodingGrowthCollections"/> collections and by this factor overall.</summary>
    public double ExplodingGrowthFactor { get; set; } = 10;

    /// <summary>How many consecutive growing collections <see cref="ExplodingGrowthFactor"/> looks at.</summary>
    public int ExplodingGrowthCollections { get; set; } = 3;

    /// <summary>
    /// A rectifier site is dying when <see cref="DyingMeasure"/> reaches this fraction; a site where no activation was
    /// seen is diagnosed when this fraction of its units got no gradient.
    /// </summary>
    public double DyingFraction { get; set; } = 0.7;

    /// <summary>
    /// Which measure <see cref="DyingFraction"/> applies to at rectifier sites: GradGuard's dead units (default),
    /// DeepDiagnosis's non-positive outputs, or AUTOTRAINER's zero gradients. The last two cost one more pass over the
    /// activation or the weight gradient and are computed only when chosen.
    /// </summary>
    public DyingMeasure DyingMeasure { get; set; } = DyingMeasure.DeadUnits;

    /// <summary>A sigmoid/tanh site is saturated when more than this fraction of its pre-activations lie at or beyond ±<see cref="SaturationThreshold"/>.</summary>
    public double SaturatedFraction { get; set; } = 0.5;

    /// <summary>Pre-activation magnitude beyond which sigmoid and tanh count as saturated (sigmoid'(5) ≈ 0.0066, tanh'(5) ≈ 0.00018).</summary>
    public double SaturationThreshold { get; set; } = 5;

    /// <summary>
    /// Dimension of an activation's output that indexes its units when the layer feeding it does not tell: a Linear
    /// layer's units are its last dimension and a convolution's its channels (dimension 1), whatever this says. 1 for
    /// (batch, features) and (batch, channels, ...) layouts, -1 for channels-last layouts such as (batch, sequence, features).
    /// </summary>
    public int UnitDimension { get; set; } = 1;

    /// <summary>
    /// Publish per-layer series for module paths cut to this many segments (1: the model's top-level blocks), gradient
    /// norms combined per block and parameter name as an L2 norm, activation figures from the worst site of the block.
    /// Null publishes every layer and site. Reports, logs and diagnoses always cover every layer.
    /// </summary>
    public int? PublishedLayerDepth { get; set; }

    /// <summary>Publishes per-layer series only for the layers and sites whose path this accepts; null publishes all.</summary>
    public Func<string, bool>? PublishLayer { get; set; }

    /// <summary>
    /// At most this many per-layer series per instrument and model: beyond it the monitor publishes coarser blocks (a
    /// shallower path depth, then runs of top-level modules) and logs once that it did. OpenTelemetry's SDK keeps
    /// 2000 series per instrument by default and folds the rest into one overflow series.
    /// </summary>
    public int MaxPublishedLayers { get; set; } = 500;

    /// <summary>
    /// At most this many weight layers (or blocks) per model publish <c>gradguard.gradient.histogram</c>, 51 series each:
    /// beyond it the histograms of neighbouring layers are added into blocks, as <see cref="MaxPublishedLayers"/> does for
    /// the other instruments. 8 layers are 408 series, so four models fit OpenTelemetry's default of 2000 series per
    /// instrument; to publish more, raise this and the SDK's limit for the instrument with a view
    /// (<c>AddView(GradGuardMetrics.HistogramInstrument, new MetricStreamConfiguration { CardinalityLimit = ... })</c>).
    /// </summary>
    public int MaxPublishedHistogramLayers { get; set; } = 8;

    /// <summary>
    /// Measure ‖Δw‖/‖w‖ of each weight layer for the optimizer step after each collection (<see cref="GradientReport.UpdateRatios"/>):
    /// a copy of a layer of up to 4096 elements, and of a sample of a larger one (about 256 runs of 16 neighbouring
    /// elements, within 15% of the whole layer's ratio, see docs/monitor.md), held for one step.
    /// </summary>
    public bool MeasureUpdateRatios { get; set; } = true;

    /// <summary>Updates too small when an optimizer step moves a weight layer by less than this fraction of its norm (‖Δw‖/‖w‖; healthy is about 1e-3).</summary>
    public double SmallUpdateRatio { get; set; } = 1e-6;

    /// <summary>Updates too large when an optimizer step moves a weight layer by more than this fraction of its norm.</summary>
    public double LargeUpdateRatio { get; set; } = 0.1;

    /// <summary>
    /// Read each gradient's largest magnitude and its fraction of exactly-zero elements (AUTOTRAINER's dying measure)
    /// beside its norm (<see cref="ParameterGradient.MaxMagnitude"/>, <see cref="ParameterGradient.ZeroFraction"/>), in
    /// the collection's one transfer, and publish them. Off by default: it reads every gradient three more times, on a
    /// deep MLP several percent of a step when collected at every step (docs/benchmarks.md); with the default
    /// <see cref="CostBudget"/> the monitor collects less often to pay for it.
    /// </summary>
    public bool MeasureGradientDistribution { get; set; }

    /// <summary>
    /// Count each gradient's elements in octave bins of magnitude, from exact zero through 2⁻⁴⁰ ... 2⁸ to above
    /// (<see cref="GradientHistogram"/>, <see cref="ParameterGradient.Histogram"/>), on the device, in the collection's
    /// one transfer, and publish the weight layers' as <c>gradguard.gradient.histogram</c>. Off by default: it passes over
    /// each gradient some eight times, a third of a deep MLP's step when collected at every step (docs/benchmarks.md).
    /// Turns <see cref="MeasureGradientDistribution"/> on with it, since its zero bin needs the zero count.
    /// </summary>
    public bool MeasureGradientHistogram { get; set; }

    /// <summary>
    /// On the passes before a collection, sum every module call's output on the device, so that a step whose gradients or
    /// loss turn non-finite can name the module where the NaN was born (<see cref="GradientReport.NonFiniteOrigin"/>).
    /// Costs one reduction per module call on collected steps, and no host synchronisation; off by default because on a
    /// convolutional network that is about 1% of a step on its own (docs/benchmarks.md), the whole of the monitor's budget.
    /// </summary>
    public bool LocateNonFinite { get; set; }

    /// <summary>How many of the last collected finite losses a loss is compared with for spikes; spikes are judged once the window is full.</summary>
    public int LossSpikeWindow { get; set; } = 50;

    /// <summary>A loss spike when the loss exceeds the window's mean by this factor (llm-foundry's outlier multiplier); null turns this test off.</summary>
    public double? LossSpikeRatio { get; set; } = 2;

    /// <summary>A loss spike when the loss lies more than this many standard deviations above the window's mean; null (the default) turns this test off.</summary>
    public double? LossSpikeZScore { get; set; }

    /// <summary>
    /// Gradients of at most this many elements are reduced together, concatenated per shape, in a few TorchSharp calls
    /// for all of them; larger ones one call each, where the bytes and not the call dominate. 0 reduces every gradient
    /// on its own (the tests compare the two).
    /// </summary>
    internal long BatchedGradientElements { get; set; } = GradientNorms.DefaultBatchedElements;

    internal GradientMonitorOptions Validated()
    {
        if (TimeProvider is null)
        {
            throw new ArgumentNullException(nameof(TimeProvider), "GradientMonitorOptions.TimeProvider must be a clock; TimeProvider.System is the default.");
        }

        if (CollectEvery is { } every)
        {
            RequireAtLeast(every, 1, nameof(CollectEvery));
        }

        if (CostBudget is { } budget && !(budget > 0 && budget < 1))
        {
            throw Invalid(nameof(CostBudget), budget, "must be a fraction of training time in (0, 1), or null for no budget");
        }

        RequireAtLeast(ExplodingGrowthCollections, 1, nameof(ExplodingGrowthCollections));
        RequireAtLeast(MaxPublishedLayers, 1, nameof(MaxPublishedLayers));
        RequireAtLeast(MaxPublishedHistogramLayers, 1, nameof(MaxPublishedHistogramLayers));
        if (PublishedLayerDepth is { } depth)
        {
            RequireAtLeast(depth, 1, nameof(PublishedLayerDepth));
        }

        if (!Enum.IsDefined(DyingMeasure))
        {
            throw Invalid(nameof(DyingMeasure), DyingMeasure, "must be one of " + string.Join(", ", Enum.GetNames<DyingMeasure>()));
        }

        RequirePositive(VanishingRatio, nameof(VanishingRatio));
        RequirePositive(VanishingFirstLayerNorm, nameof(VanishingFirstLayerNorm));
        RequirePositive(ExplodingRatio, nameof(ExplodingRatio));
        RequirePositive(ExplodingTotalNorm, nameof(ExplodingTotalNorm));
        RequirePositive(SaturationThreshold, nameof(SaturationThreshold));
        RequireGreaterThanOne(LayerDecayFactor, nameof(LayerDecayFactor));
        RequireGreaterThanOne(ExplodingGrowthFactor, nameof(ExplodingGrowthFactor));
        RequireFraction(DyingFraction, nameof(DyingFraction));
        RequireFraction(SaturatedFraction, nameof(SaturatedFraction));
        RequirePositive(SmallUpdateRatio, nameof(SmallUpdateRatio));
        RequirePositive(LargeUpdateRatio, nameof(LargeUpdateRatio));
        if (LargeUpdateRatio <= SmallUpdateRatio)
        {
            throw Invalid(nameof(LargeUpdateRatio), LargeUpdateRatio, $"must be greater than SmallUpdateRatio ({SmallUpdateRatio})");
        }

        RequireAtLeast(LossSpikeWindow, 2, nameof(LossSpikeWindow));
        if (LossSpikeRatio is { } ratio)
        {
            RequireGreaterThanOne(ratio, nameof(LossSpikeRatio));
        }

        if (LossSpikeZScore is { } z)
        {
            RequirePositive(z, nameof(LossSpikeZScore));
        }

        if (UnitDimension is not (1 or -1))
        {
            throw Invalid(nameof(UnitDimension), UnitDimension, "must be 1 (batch, units, ...) or -1 (units last)");
        }

        return this;
    }

    private static void RequireAtLeast(int value, int minimum, string name)
    {
        if (value < minimum)
        {
            throw Invalid(name, value, $"must be at least {minimum}");
        }
    }

    private static void RequirePositive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw Invalid(name, value, "must be a finite number greater than 0");
        }
    }

    private static void RequireGreaterThanOne(double value, string name)
    {
        if (!(value > 1) || double.IsInfinity(value))
        {
            throw Invalid(name, value, "must be a finite factor greater than 1");
        }
    }

    private static void RequireFraction(double value, string name)
    {
        if (!(value > 0 && value <= 1))
        {
            throw Invalid(name, value, "must be a fraction in (0, 1]");
        }
    }

    private static ArgumentOutOfRangeException Invalid(string name, object value, string rule) =>
        new(name, value, $"GradientMonitorOptions.{name} {rule}; it was {value}.");
}
