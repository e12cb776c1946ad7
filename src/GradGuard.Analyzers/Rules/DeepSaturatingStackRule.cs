using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.Rules
{
    /// <summary>GG0001: too many saturating activations in a row, each shrinking the gradient.</summary>
    internal static class DeepSaturatingStackRule
    {
        public static IEnumerable<Diagnostic> Check(Network network, RuleOptions options)
        {
            if (network.Census.MostSaturatingActivations < options.MinSaturatingLayers)
            {
                yield break;
            }

            var hidden = PathMetrics.WithoutOutputActivation(network.Path);
            var run = PathMetrics.LongestSaturatingRun(hidden);
            if (run < options.MinSaturatingLayers)
            {
                yield break;
            }

            var saturating = NodeTraversal.Layers(hidden).Where(l => l.Kind == LayerKind.SaturatingActivation).ToList();
            var names = string.Join(", ", saturating.Select(l => l.Name).Distinct());
            var fixLocations = saturating.Where(l => l.Origin is not null).Select(l => l.Origin!.GetLocation()).Distinct();
            yield return Diagnostic.Create(RuleIds.DeepSaturatingStackRule, network.Location, fixLocations, network.Name, run, names, GradientBound(saturating, run));
        }

        /// <summary>
        /// The product of the activations' largest slopes over the run: sigmoid 0.25 (so 0.25^k), hard sigmoid 1/6,
        /// tanh-like 1 at best, which only holds for units sitting exactly at 0.
        /// </summary>
        private static string GradientBound(List<LayerNode> saturating, long run)
        {
            var slope = saturating.Select(l => MaxSlope(l.Name)).Max();
            var bound = System.Math.Pow(slope, run);
            var factor = slope.ToString("0.###", CultureInfo.InvariantCulture);
            return slope < 1
                ? $"{factor}^{run} = {bound.ToString("0.#e+0", CultureInfo.InvariantCulture)}"
                : $"1^{run} for units at exactly 0, and 0.42^{run} = {System.Math.Pow(0.42, run).ToString("0.#e+0", CultureInfo.InvariantCulture)} once they reach |x| = 1";
        }

        private static double MaxSlope(string name) => name.ToLowerInvariant() switch
        {
            "sigmoid" or "sigmoid_" => 0.25,
            "hardsigmoid" => 1.0 / 6,
            _ => 1.0,
        };
    }
}
