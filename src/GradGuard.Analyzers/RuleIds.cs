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
        public const string UnclippedRecurrentTraining = "GG0004";

        // GG0005 is reserved for the explicit-init-scale rule, which stands on the network model.
        public const string DirectForwardCall = "GG0006";
        public const string UnregisteredModules = "GG0007";

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

        public static readonly DiagnosticDescriptor UnclippedRecurrentTrainingRule = Rule(
            UnclippedRecurrentTraining,
            "Recurrent network trained without gradient clipping",
            "{0} updates {1}, which is recurrent through {2}, and the gradients are not clipped on every path from backward() to it: clip them first with torch.nn.utils.clip_grad_norm_",
            "Backpropagation through time multiplies one recurrent Jacobian per time step, so a gradient whose recurrent factor exceeds 1 grows exponentially with the sequence length and one step can wreck the weights. Clip the gradient norm between backward() and the optimizer's step().");

        // Info by default: most TorchSharp code calls forward() and loses only user hooks. The analyzer raises it to a
        // warning in projects that reference GradGuard.TorchSharp, whose monitor depends on the hooks.
        public static readonly DiagnosticDescriptor DirectForwardCallRule = Rule(
            DirectForwardCall,
            "forward() called directly skips the module's hooks",
            "{0}.forward(...) runs no forward hooks, so hooks on {0} (GradGuard's monitor among them) never see it run: call {0}.call(...)",
            "Module.call() runs the forward pre-hooks, forward() and the forward hooks; forward() alone runs none of them. GradGuard's monitor reads activations through forward hooks.",
            DiagnosticSeverity.Info);

        public static readonly DiagnosticDescriptor UnregisteredModuleCollectionRule = Rule(
            UnregisteredModules,
            "Layers the optimizer never sees",
            "'{0}' keeps {1} in a {2}, which RegisterComponents() does not register: they are missing from parameters(), so the optimizer never trains them, to() never moves them and save() never writes them; use {3}",
            UnregisteredModulesDescription);

        public static readonly DiagnosticDescriptor UnregisteredRootModuleRule = Rule(
            UnregisteredModules,
            "Layers the optimizer never sees",
            "'{0}' is used as a root module ({1}), but nothing registers {2}: its constructor calls neither RegisterComponents() nor register_module/register_parameter for them, so parameters() leaves them out; call RegisterComponents() at the end of the constructor",
            UnregisteredModulesDescription,
            customTags: WellKnownDiagnosticTags.CompilationEnd);

        private const string UnregisteredModulesDescription =
            "TorchSharp finds a module's children and parameters by reflection in RegisterComponents(), and only in fields that hold a Module, Parameter or Tensor. What it does not register is left out of parameters(), to(), save() and GradGuard's monitor.";

        private static DiagnosticDescriptor Rule(string id, string title, string message, string description, DiagnosticSeverity severity = DiagnosticSeverity.Warning, params string[] customTags) =>
            new(id, title, message, Category, severity, isEnabledByDefault: true, description, HelpRoot + id + ".md", customTags);
    }
}
