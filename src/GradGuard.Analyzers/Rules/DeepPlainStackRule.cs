using System.Collections.Generic;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.Rules
{
    /// <summary>GG0003: too many weight layers between input and output with no shortcut.</summary>
    internal static class DeepPlainStackRule
    {
        public static IEnumerable<Diagnostic> Check(Network network, RuleOptions options)
        {
            var depth = PathMetrics.EffectiveDepth(network.Path);
            if (depth >= options.MinPlainDepth)
            {
                yield return Diagnostic.Create(RuleIds.DeepPlainStackRule, network.Location, network.Name, depth);
            }
        }
    }
}
