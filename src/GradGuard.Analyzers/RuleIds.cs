using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers
{
    /// <summary>The rules' IDs, descriptors and help links, in one place.</summary>
    internal static class RuleIds
    {
        public const string DeepSaturatingStack = "GG0001";
        public const string ReluWithoutHeInit = "GG0002";
        public const string DeepPlainStack = "GG0003";

        private const string Category = "GradientFlow";

        /// <summary>Where the rules' pages live, from the repository address the build declares once (RepositoryUrl).</summary>
        private static readonly string HelpRoot = typeof(RuleIds).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(metadata => metadata.Key == "GradGuardRulesDocumentation").Value;

        public static readonly DiagnosticDescriptor DeepSaturatingStackRule = Rule(
            DeepSaturatingStack,
            "Deep stack of saturating activations",
            "{0} has {1} saturating activations ({2}) on one path with no normalisation layer or skip connection between them: the gradient reaching the first layer is scaled by at most {3}",
            "Sigmoid's derivative is at most 0.25 and tanh's falls towards 0 as units saturate, so every stacked saturating activation shrinks the gradient. Use ReLU or GELU, or put a normalisation layer or a skip connection between them.");

        public static readonly DiagnosticDescriptor ReluWithoutHeInitRule = Rule(
            ReluWithoutHeInit,
            "ReLU layer without He initialisation",
            "{0} feeds a ReLU-family activation but {1}; in a network with {2} such layers, initialise it with init.kaiming_normal_(weight, nonlinearity: ReLU)",
            "TorchSharp's default initialisation gives a sixth of the variance ReLU needs (He: 2 / fan_in), so activations and gradients shrink by a constant factor at every layer.");

        public static readonly DiagnosticDescriptor DeepPlainStackRule = Rule(
            DeepPlainStack,
            "Deep stack without skip connections",
            "{0} has {1} weight layers on its shortest input-to-output path and no skip connection around them: add residual connections (x + f(x)) so the gradient has a short path back",
            "The gradient reaching the first layer of a plain stack is a product of one Jacobian per layer, which vanishes or explodes with depth unless every factor is tuned; residual connections add an identity path.");

        private static DiagnosticDescriptor Rule(string id, string title, string message, string description) =>
            new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpRoot + id + ".md");
    }
}
