using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.Rules
{
    /// <summary>
    /// GG0005: a run of weight layers drawn from explicit distributions whose variance gains (see <see cref="InitScale"/>)
    /// multiply to a vanishing or an exploding scale. A run has nothing between its layers that resets the signal's scale
    /// (a normalisation layer) or carries it round them (a skip connection); any other weight layer ends it, as does
    /// anything opaque. Named schemes (Kaiming, Xavier, TorchSharp's default) are GG0002's or deliberate, never judged here.
    /// </summary>
    internal static class ExplicitInitScaleRule
    {
        private const int ListedGroups = 8;

        public static IEnumerable<Diagnostic> Check(Network network, RuleOptions options)
        {
            if (!network.Census.HasDistributionInit || network.Census.MostWeightLayers < options.MinInitScaleLayers)
            {
                yield break;
            }

            var reluFed = PathMetrics.ReluFedWeightLayers(network.Path);
            double? Gain(LayerNode layer) => layer.Kind == LayerKind.Weight ? InitScale.VarianceGain(layer, reluFed.Contains(layer)) : null;
            var runs = PathMetrics.Runs.Scan(network.Path, layer => Role(layer, Gain(layer)), options.MinInitScaleLayers, layer => Math.Log(Gain(layer)!.Value));

            // Explosion is reported only where activations are unbounded, the ReLU family or none: a saturating activation
            // turns it into saturation (GG0001's ground), and no other activation is taken for unbounded.
            ISet<LayerNode>? feedingOtherActivations = null;
            bool ThroughReluOrNothing(LongRun run)
            {
                feedingOtherActivations ??= PathMetrics.WeightLayersFeeding(network.Path, LayerKind.SaturatingActivation, LayerKind.OtherActivation);
                return !run.Layers.Any(feedingOtherActivations.Contains);
            }

            // The most extreme first: runs that share their first init call are one diagnostic, and it should be the worst.
            foreach (var run in runs.LongRuns.OrderByDescending(run => Math.Abs(run.LogGain)))
            {
                var effect = run.LogGain <= Math.Log(options.VanishingProduct) ? "vanish"
                    : run.LogGain >= Math.Log(options.ExplodingProduct) && ThroughReluOrNothing(run) ? "explode"
                    : null;
                if (effect is not null)
                {
                    yield return Report(network, run, run.Layers.Select(layer => Gain(layer)!.Value).ToList(), effect);
                }
            }
        }

        /// <summary>
        /// A weight layer with a computable gain extends a run; any other weight layer (a named scheme, zeros, an init the
        /// source does not give as constants, an unknown fan-in), a normalisation layer and anything opaque end it.
        /// </summary>
        private static RunRole Role(LayerNode layer, double? gain) => layer.Kind switch
        {
            LayerKind.Weight when gain is not null => RunRole.Member,
            LayerKind.Weight or LayerKind.Normalization or LayerKind.Opaque => RunRole.Break,
            _ => RunRole.Neutral,
        };

        /// <summary>On the first layer's init call, where the fix goes; the run's other init calls and its layers are additional locations.</summary>
        private static Diagnostic Report(Network network, LongRun run, List<double> gains, string effect)
        {
            var calls = run.Layers.Select(layer => layer.Init.Call!).Distinct().Select(call => call.GetLocation()).ToList();
            var layers = run.Layers.Where(layer => layer.Origin is not null).Select(layer => layer.Origin!.GetLocation()).Distinct();
            return Diagnostic.Create(
                RuleIds.ExplicitInitScaleRule, calls[0], calls.Skip(1).Concat(layers), network.Name, run.Length, PerLayer(gains), FormatPower(run.LogGain), effect);
        }

        /// <summary>
        /// The layers' r in path order, a repeated stretch's once: "256 per layer" when they agree, else equal neighbours
        /// grouped ("0.0128 ×3, 0.0256") and the list cut after <see cref="ListedGroups"/> groups.
        /// </summary>
        private static string PerLayer(List<double> gains)
        {
            var formatted = gains.Select(Format).ToList();
            var groups = new List<string>();
            for (var start = 0; start < formatted.Count;)
            {
                var end = start + 1;
                while (end < formatted.Count && formatted[end] == formatted[start])
                {
                    end++;
                }

                groups.Add(end - start == 1 ? formatted[start] : $"{formatted[start]} ×{end - start}");
                start = end;
            }

            return groups.Count == 1
                ? formatted[0] + " per layer"
                : string.Join(", ", groups.Take(ListedGroups)) + (groups.Count > ListedGroups ? ", …" : string.Empty);
        }

        private static string Format(double value) => FormatPower(Math.Log(value));

        /// <summary>e^<paramref name="logValue"/> to three significant digits, as 1.68e+7 outside [0.001, 1000), without overflowing.</summary>
        private static string FormatPower(double logValue)
        {
            var log10 = logValue / Math.Log(10);
            if (log10 >= -3 && log10 < 3 && Math.Pow(10, log10).ToString("G3", CultureInfo.InvariantCulture) is var plain && plain.IndexOf('E') < 0)
            {
                return plain;
            }

            var exponent = Math.Floor(log10);
            var mantissa = Math.Round(Math.Pow(10, log10 - exponent), 2);
            if (mantissa >= 10)
            {
                (mantissa, exponent) = (mantissa / 10, exponent + 1);
            }

            return string.Format(CultureInfo.InvariantCulture, "{0:0.##}e{1:+0;-0}", mantissa, exponent);
        }
    }
}
