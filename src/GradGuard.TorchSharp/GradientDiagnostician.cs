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

    /// <summary>Diagnoses the collection and returns the problems that started with it.</summary>
    public IReadOnlyList<GradientDiagnosis> Diagnose(IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> activations, double totalNorm)
    {
        var current = new List<GradientDiagnosis>();
        current.AddRange(NonFinite(parameters));
        var weights = parameters.Where(parameter => parameter.IsWeightMatrix && double.IsFinite(parameter.Norm)).ToList();
        current.AddRange(Vanishing(weights));
        current.AddRange(Exploding(weights, totalNorm));
        current.AddRange(activations.SelectMany(UnitProblems));

        var started = current.Where(diagnosis => !ongoing.Contains((diagnosis.Kind, diagnosis.Layer))).ToList();
        ongoing = current.Select(diagnosis => (diagnosis.Kind, diagnosis.Layer)).ToHashSet();
        return started;
    }

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

    private IEnumerable<GradientDiagnosis> Vanishing(List<ParameterGradient> weights)
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
            yield return new GradientDiagnosis(GradientProblem.VanishingGradients, null, ratio, options.VanishingRatio,
                $"vanishing gradients: the first layer's gradient norm is {Format(first)}, {Format(ratio)} of the last layer's " +
                $"({decay}). Use ReLU with He (Kaiming) init, normalisation or residual connections.");
            yield break;
        }

        for (int index = weights.Count - 1; index > 0; index--)
        {
            double decay = weights[index].Norm / weights[index - 1].Norm;
            if (decay >= options.LayerDecayFactor)
            {
                yield return new GradientDiagnosis(GradientProblem.VanishingGradients, weights[index - 1].Layer, decay, options.LayerDecayFactor,
                    $"vanishing gradients: the gradient shrinks {Format(decay)}x from layer '{weights[index].Layer}' to layer '{weights[index - 1].Layer}'. " +
                    "Check that layer's activation and initialisation.");
                yield break;
            }
        }
    }

    private IEnumerable<GradientDiagnosis> Exploding(List<ParameterGradient> weights, double totalNorm)
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
            yield return new GradientDiagnosis(GradientProblem.ExplodingGradients, null, ratio, options.ExplodingRatio,
                $"exploding gradients: the first layer's gradient is {Format(ratio)}x the last layer's. Check the initialisation scale, or add normalisation.");
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

    private IEnumerable<GradientDiagnosis> UnitProblems(ActivationStatistics activation)
    {
        if (activation.Kind == ActivationKind.Rectifier && activation.DeadFraction >= options.DyingFraction)
        {
            string what = activation.Source == ActivationSource.ForwardHook
                ? "output zero for the whole batch"
                : "received exactly zero gradient for the whole batch (dead ReLU units after it, or a fully vanished gradient)";
            yield return new GradientDiagnosis(GradientProblem.DyingRelu, activation.Layer, activation.DeadFraction, options.DyingFraction,
                $"dying ReLU: {activation.DeadUnits} of {activation.Units} units in '{activation.Layer}' {what}. Use He init, a lower learning rate, or LeakyReLU/GELU.");
        }

        if (activation.Kind == ActivationKind.Saturating && activation.SaturatedFraction > options.SaturatedFraction)
        {
            yield return new GradientDiagnosis(GradientProblem.SaturatedActivations, activation.Layer, activation.SaturatedFraction, options.SaturatedFraction,
                $"saturated activations: {Format(activation.SaturatedFraction * 100)}% of the pre-activations of '{activation.Layer}' lie beyond ±{Format(options.SaturationThreshold)}, " +
                "where the slope is near zero. Normalise the inputs to the layer (BatchNorm/LayerNorm), shrink the init, or use ReLU.");
        }
    }

    private static double MeanDecayPerLayer(List<ParameterGradient> weights)
    {
        double ratio = weights[^1].Norm / weights[0].Norm;
        return Math.Pow(ratio, 1.0 / (weights.Count - 1));
    }

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
