using System.Globalization;

namespace GradGuard.TorchSharp;

/// <summary>
/// Turns measurements into diagnoses, once per episode: a problem is reported when it appears, stays quiet
/// while it persists, and is reported again only after a collection without it.
/// </summary>
internal sealed class GradientDiagnostician
{
    private readonly GradientMonitorOptions options;
    private readonly Queue<double> recentTotalNorms = new();
    private HashSet<(GradientProblem, string?)> ongoing = new();

    public GradientDiagnostician(GradientMonitorOptions options) => this.options = options;

    /// <summary>
    /// Diagnoses the collection of <paramref name="step"/> and returns the problems that started with it, since the
    /// collection of <paramref name="previousStep"/>. <paramref name="weights"/> are the weight gradients of the layers
    /// that ran, in forward order; when <paramref name="orderInferred"/>, the diagnoses that rest on that order say it
    /// was partly inferred. <paramref name="signals"/> are the problems other signals (update ratios, the loss) showed
    /// at this collection, reported once per episode like the rest.
    /// </summary>
    public IReadOnlyList<GradientDiagnosis> Diagnose(IReadOnlyList<ParameterGradient> weights, IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> activations, double totalNorm, bool orderInferred, IEnumerable<GradientDiagnosis> signals, long step, long? previousStep)
    {
        var current = new List<Finding>();
        current.AddRange(NonFinite(parameters).Select(Finding.Of));
        var finiteWeights = weights.Where(parameter => double.IsFinite(parameter.Norm)).ToList();
        current.AddRange(Vanishing(finiteWeights, orderInferred).Select(Finding.Of));
        current.AddRange(Exploding(finiteWeights, totalNorm, orderInferred).Select(Finding.Of));
        foreach (var site in activations)
        {
            current.AddRange(UnitProblems(site));
        }

        current.AddRange(signals.Select(Finding.Of));

        var started = current.Where(finding => !ongoing.Contains((finding.Kind, finding.Layer)))
            .Select(finding => finding.Diagnosis() with { Step = step, PreviousStep = previousStep })
            .ToList();
        ongoing = current.Select(finding => (finding.Kind, finding.Layer)).ToHashSet();
        return started;
    }

    /// <summary>A diagnosis that compares layers by position, marked when that order was partly inferred.</summary>
    private static GradientDiagnosis ByPosition(GradientProblem kind, string? layer, double value, double threshold, string message, bool orderInferred) =>
        orderInferred
            ? new GradientDiagnosis(kind, layer, value, threshold, message + " (Layer order inferred: some layers ran without their hooks firing and were placed by declaration order.)") { OrderInferred = true }
            : new GradientDiagnosis(kind, layer, value, threshold, message);

    /// <summary>One model-wide diagnosis: once a NaN appears it spreads to every layer before it, and the first layer it reached is the clue.</summary>
    private static IEnumerable<GradientDiagnosis> NonFinite(IReadOnlyList<ParameterGradient> parameters)
    {
        var affected = parameters.Where(parameter => parameter.NonFiniteCount > 0).ToList();
        if (affected.Count == 0)
        {
            yield break;
        }

        long count = affected.Sum(parameter => parameter.NonFiniteCount);
        int layers = affected.Select(parameter => parameter.Layer).Distinct().Count();
        yield return new GradientDiagnosis(GradientProblem.NonFiniteGradients, null, count, 0,
            $"non-finite gradients: {count} NaN/Inf values in {layers} layers, the one nearest the output being '{affected[^1].Layer}'. " +
            "Lower the learning rate, clip gradients, or look for log(0), division by zero or overflow in the loss.");
    }

    private IEnumerable<GradientDiagnosis> Vanishing(List<ParameterGradient> weights, bool orderInferred)
    {
        if (weights.Count < 2)
        {
            yield break;
        }

        double first = weights[0].Norm;
        double ratio = first / weights[^1].Norm;
        if (ratio < options.VanishingRatio && first < options.VanishingFirstLayerNorm)
        {
            // A gradient that underflowed to 0 has no finite rate of decay to report.
            string decay = first == 0 ? "it underflowed to exactly 0 on its way back" : $"{Format(MeanDecayPerLayer(weights))}x smaller per layer on average";
            yield return ByPosition(GradientProblem.VanishingGradients, null, ratio, options.VanishingRatio,
                $"vanishing gradients: the first layer's gradient norm is {Format(first)}, {Format(ratio)} of the last layer's " +
                $"({decay}). Use ReLU with He (Kaiming) init, normalisation or residual connections.",
                orderInferred);
            yield break;
        }

        for (int index = weights.Count - 1; index > 0; index--)
        {
            double decay = weights[index].Norm / weights[index - 1].Norm;
            if (decay >= options.LayerDecayFactor)
            {
                yield return ByPosition(GradientProblem.VanishingGradients, weights[index - 1].Layer, decay, options.LayerDecayFactor,
                    $"vanishing gradients: the gradient shrinks {Format(decay)}x from layer '{weights[index].Layer}' to layer '{weights[index - 1].Layer}'. " +
                    "Check that layer's activation and initialisation.",
                    orderInferred);
                yield break;
            }
        }
    }

    private IEnumerable<GradientDiagnosis> Exploding(List<ParameterGradient> weights, double totalNorm, bool orderInferred)
    {
        bool grewEachTime = RecordTotalNorm(totalNorm);
        if (totalNorm > options.ExplodingTotalNorm)
        {
            yield return new GradientDiagnosis(GradientProblem.ExplodingGradients, null, totalNorm, options.ExplodingTotalNorm,
                $"exploding gradients: the total gradient norm is {Format(totalNorm)}. Clip gradients (GradientMonitor.ClipGradients), lower the learning rate, or add normalisation.");
        }
        else if (weights.Count >= 2 && weights[0].Norm / weights[^1].Norm > options.ExplodingRatio)
        {
            double ratio = weights[0].Norm / weights[^1].Norm;
            yield return ByPosition(GradientProblem.ExplodingGradients, null, ratio, options.ExplodingRatio,
                $"exploding gradients: the first layer's gradient is {Format(ratio)}x the last layer's. Check the initialisation scale, or add normalisation.",
                orderInferred);
        }
        else if (grewEachTime)
        {
            double growth = totalNorm / recentTotalNorms.Peek();
            if (growth >= options.ExplodingGrowthFactor)
            {
                yield return new GradientDiagnosis(GradientProblem.ExplodingGradients, null, growth, options.ExplodingGrowthFactor,
                    $"exploding gradients: the total gradient norm grew {Format(growth)}x over the last {options.ExplodingGrowthCollections} collections, to {Format(totalNorm)}. Lower the learning rate or clip gradients.");
            }
        }
    }

    /// <summary>Remembers the total norm and tells whether it grew at each of the last collections the options look at.</summary>
    private bool RecordTotalNorm(double totalNorm)
    {
        if (!double.IsFinite(totalNorm))
        {
            recentTotalNorms.Clear();
            return false;
        }

        recentTotalNorms.Enqueue(totalNorm);
        if (recentTotalNorms.Count > options.ExplodingGrowthCollections + 1)
        {
            recentTotalNorms.Dequeue();
        }

        if (recentTotalNorms.Count <= options.ExplodingGrowthCollections)
        {
            return false;
        }

        double previous = double.NegativeInfinity;
        foreach (double norm in recentTotalNorms)
        {
            if (norm <= previous)
            {
                return false;
            }

            previous = norm;
        }

        return true;
    }

    /// <summary>
    /// A site's problems, each written out only when it starts an episode: a deep model with default init has a problem at
    /// most of its hundreds of sites at every collection, and formatting each message every time was most of the diagnosis's cost.
    /// </summary>
    private IEnumerable<Finding> UnitProblems(ActivationStatistics site)
    {
        string SeenAs() => site.Source == ActivationSource.FunctionalCall ? $"functional activation after '{site.Module}'" : $"'{site.Layer}'";
        if (site.Kind == ActivationKind.Rectifier && DyingMeasureOf(site) is { } dying && dying >= options.DyingFraction)
        {
            yield return new Finding(GradientProblem.DyingRelu, site.Layer, () =>
            {
                string what = options.DyingMeasure switch
                {
                    DyingMeasure.NonPositiveOutputs => $"{Format(dying * 100)}% of the outputs of {SeenAs()} were zero",
                    DyingMeasure.ZeroGradients => $"{Format(dying * 100)}% of the weight-gradient elements of '{site.WeightLayer}', which feeds {SeenAs()}, were exactly zero",
                    _ => $"{site.DeadUnits} of {site.Units} units of {SeenAs()} output zero for the whole batch",
                };
                return new GradientDiagnosis(GradientProblem.DyingRelu, site.Layer, dying, options.DyingFraction,
                    $"dying ReLU: {what}. Use He init, a lower learning rate, or LeakyReLU/GELU.");
            });
        }

        if (site.Kind == ActivationKind.Saturating && site.SaturatedFraction is { } saturated && saturated > options.SaturatedFraction)
        {
            yield return new Finding(GradientProblem.SaturatedActivations, site.Layer, () =>
                new GradientDiagnosis(GradientProblem.SaturatedActivations, site.Layer, saturated, options.SaturatedFraction,
                    $"saturated activations: {Format(saturated * 100)}% of the pre-activations of {SeenAs()} lie at or beyond ±{Format(options.SaturationThreshold)}, " +
                    "where the slope is near zero. Normalise the inputs to the layer (BatchNorm/LayerNorm), shrink the init, or use ReLU."));
        }

        if (site.Kind == ActivationKind.NotSeen && site.WithoutGradientFraction is { } without && without >= options.DyingFraction)
        {
            yield return new Finding(GradientProblem.UnitsWithoutGradient, site.Layer, () =>
                new GradientDiagnosis(GradientProblem.UnitsWithoutGradient, site.Layer, without, options.DyingFraction,
                    $"units without gradient: {site.UnitsWithoutGradient} of {site.Units} units of '{site.Layer}' got exactly zero gradient for the whole batch. {WhyWithoutGradient(site)}"));
        }
    }

    private double? DyingMeasureOf(ActivationStatistics site) => options.DyingMeasure switch
    {
        DyingMeasure.NonPositiveOutputs => site.NonPositiveFraction,
        DyingMeasure.ZeroGradients => site.ZeroGradientFraction,
        _ => site.DeadFraction,
    };

    /// <summary>What the pre-activation says about units that got no gradient, and no more: no activation was seen after the layer.</summary>
    private string WhyWithoutGradient(ActivationStatistics site)
    {
        if (site.DeadUnits is not { } dead || site.SaturatedUnits is not { } saturated || site.UnitsDeadAndSaturated is not { } both)
        {
            return "The layer's hooks never fired, so its pre-activation was not measured: call it through call() to learn why.";
        }

        string threshold = Format(options.SaturationThreshold);
        var reasons = new (long Units, string Reason)[]
        {
            (dead - both, "had a pre-activation ≤ 0 for the whole batch (dead, as a rectifier applied after the layer leaves them; use He init, a lower learning rate, or LeakyReLU)"),
            (saturated - both, $"had |pre-activation| ≥ {threshold} throughout without staying ≤ 0 (saturated, as a sigmoid or tanh leaves them; normalise or shrink the init)"),
            (both, $"had a pre-activation ≤ -{threshold} throughout (dead under a rectifier, saturated under a sigmoid or tanh)"),
            (site.UnitsWithoutGradient!.Value - dead - saturated + both, "had neither, so the gradient vanished before it reached them"),
        };
        return $"No activation was seen after it; of those units {string.Join(", ", reasons.Where(reason => reason.Units > 0).Select(reason => $"{reason.Units} {reason.Reason}"))}.";
    }

    private static double MeanDecayPerLayer(List<ParameterGradient> weights)
    {
        double ratio = weights[^1].Norm / weights[0].Norm;
        return Math.Pow(ratio, 1.0 / (weights.Count - 1));
    }

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A problem seen at this collection, and how to write its diagnosis should it start an episode.</summary>
    private readonly record struct Finding(GradientProblem Kind, string? Layer, Func<GradientDiagnosis> Diagnosis)
    {
        public static Finding Of(GradientDiagnosis diagnosis) => new(diagnosis.Kind, diagnosis.Layer, () => diagnosis);
    }
}
