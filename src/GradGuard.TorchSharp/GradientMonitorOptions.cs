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

    /// <summary>Collect on every N-th call of <see cref="GradientMonitor.Collect"/>; the calls in between cost nothing.</summary>
    public int CollectEvery { get; set; } = 1;

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

    /// <summary>A ReLU-family layer is dying when at least this fraction of its units output zero for the whole batch.</summary>
    public double DyingFraction { get; set; } = 0.7;

    /// <summary>A sigmoid/tanh layer is saturated when more than this fraction of its pre-activations lie beyond ±<see cref="SaturationThreshold"/>.</summary>
    public double SaturatedFraction { get; set; } = 0.5;

    /// <summary>Pre-activation magnitude beyond which sigmoid and tanh count as saturated (sigmoid'(5) ≈ 0.0066, tanh'(5) ≈ 0.00018).</summary>
    public double SaturationThreshold { get; set; } = 5;

    /// <summary>
    /// Dimension of an activation's output that indexes its units: 1 for (batch, features) and (batch, channels, ...)
    /// layouts, -1 for channels-last layouts such as (batch, sequence, features).
    /// </summary>
    public int UnitDimension { get; set; } = 1;

    internal GradientMonitorOptions Validated()
    {
        RequireAtLeast(CollectEvery, 1, nameof(CollectEvery));
        RequireAtLeast(ExplodingGrowthCollections, 1, nameof(ExplodingGrowthCollections));
        RequirePositive(VanishingRatio, nameof(VanishingRatio));
        RequirePositive(VanishingFirstLayerNorm, nameof(VanishingFirstLayerNorm));
        RequirePositive(ExplodingRatio, nameof(ExplodingRatio));
        RequirePositive(ExplodingTotalNorm, nameof(ExplodingTotalNorm));
        RequirePositive(SaturationThreshold, nameof(SaturationThreshold));
        RequireGreaterThanOne(LayerDecayFactor, nameof(LayerDecayFactor));
        RequireGreaterThanOne(ExplodingGrowthFactor, nameof(ExplodingGrowthFactor));
        RequireFraction(DyingFraction, nameof(DyingFraction));
        RequireFraction(SaturatedFraction, nameof(SaturatedFraction));
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
