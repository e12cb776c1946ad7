using System.Collections.Generic;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.Rules
{
    /// <summary>GG0002: weight layers feeding ReLU that keep a scale made for something else.</summary>
    internal static class ReluWithoutHeInitRule
    {
        public static IEnumerable<Diagnostic> Check(Network network, RuleOptions options)
        {
            var reluFed = PathMetrics.ReluFedWeightLayers(network.Path);
            var total = reluFed.Values.Sum();
            if (total < options.MinReluLayers)
            {
                yield break;
            }

            foreach (var layer in reluFed.Keys)
            {
                if (layer.Origin is not null && Problem(layer.Init) is { } problem)
                {
                    yield return Diagnostic.Create(RuleIds.ReluWithoutHeInitRule, layer.Origin.GetLocation(), layer.Name, problem, total);
                }
            }
        }

        private static string? Problem(WeightInit init) => init switch
        {
            WeightInit.TorchSharpDefault => "keeps TorchSharp's default init (Kaiming-uniform with a = √5), a sixth of the variance He init gives",
            WeightInit.Xavier => "is Xavier-initialised, half the variance ReLU needs",
            WeightInit.KaimingForOtherNonlinearity => "is Kaiming-initialised for another nonlinearity, not for ReLU",
            _ => null,
        };
    }
}
