using System.Collections.Generic;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.Rules
{
    /// <summary>
    /// GG0002: the layers of a run of weight layers feeding ReLU, deep enough for init to matter, whose init keeps a
    /// scale made for something else; a run has nothing between its layers that resets the signal's scale (a
    /// normalisation layer) or carries it round them (a skip connection).
    /// </summary>
    internal static class ReluWithoutHeInitRule
    {
        public static IEnumerable<Diagnostic> Check(Network network, RuleOptions options)
        {
            if (!network.Census.HasReluActivation || network.Census.MostWeightLayers < options.MinReluLayers)
            {
                yield break;
            }

            var reluFed = PathMetrics.ReluFedWeightLayers(network.Path);
            var runs = PathMetrics.Runs.Scan(network.Path, layer => Role(layer, reluFed), options.MinReluLayers);
            foreach (var member in runs.MembersOfLongRuns)
            {
                var layer = member.Layer;
                if (layer.Origin is not null && Problem(layer.Init.Scheme) is { } problem)
                {
                    yield return Diagnostic.Create(RuleIds.ReluWithoutHeInitRule, layer.Origin.GetLocation(), layer.Name, problem, member.Run);
                }
            }
        }

        /// <summary>
        /// A weight layer feeding ReLU with a named scheme (TorchSharp's default, Xavier, Kaiming of any gain) or drawn by
        /// hand at He's scale extends a run, He-initialised or not, so a run stays as deep as it is while its layers are
        /// fixed one by one; any other weight layer (an explicit distribution of another scale, which GG0005 judges, or
        /// one feeding something else), a normalisation layer and anything opaque end it.
        /// </summary>
        private static RunRole Role(LayerNode layer, ISet<LayerNode> reluFed) => layer.Kind switch
        {
            LayerKind.Weight when reluFed.Contains(layer) && (IsNamedScheme(layer.Init.Scheme) || InitScale.IsHeScaled(layer)) => RunRole.Member,
            LayerKind.Weight or LayerKind.Normalization or LayerKind.Opaque => RunRole.Break,
            _ => RunRole.Neutral,
        };

        private static bool IsNamedScheme(InitScheme scheme) =>
            scheme is InitScheme.TorchSharpDefault or InitScheme.He or InitScheme.Xavier or InitScheme.KaimingForOtherNonlinearity;

        /// <summary>
        /// What is wrong with a named scheme for a layer feeding ReLU; null for He, for explicit distributions, whose scale
        /// GG0005 judges (so no layer gets both), and for structural inits.
        /// </summary>
        private static string? Problem(InitScheme scheme) => scheme switch
        {
            InitScheme.TorchSharpDefault => "keeps TorchSharp's default init (Kaiming-uniform with a = √5), a sixth of the variance He init gives",
            InitScheme.Xavier => "is Xavier-initialised, half the variance ReLU needs",
            InitScheme.KaimingForOtherNonlinearity => "is Kaiming-initialised for another nonlinearity, not for ReLU",
            _ => null,
        };
    }
}
