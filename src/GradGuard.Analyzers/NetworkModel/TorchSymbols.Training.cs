using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>How a TorchSharp recurrent module unrolls: over a whole sequence in one call, or one time step a call.</summary>
    internal enum Recurrence
    {
        /// <summary><c>LSTM</c>, <c>GRU</c>, <c>RNN</c>: the time loop runs inside the module.</summary>
        Sequence,

        /// <summary><c>LSTMCell</c>, <c>GRUCell</c>, <c>RNNCell</c>: recurrent only when the caller loops over time steps.</summary>
        Cell,
    }

    /// <summary>
    /// TorchSharp's training and registration API, and GradGuard's monitor, for the rules that read training steps and
    /// module classes rather than layer chains (GG0004, GG0006, GG0007). Matched by name inside TorchSharp's assembly,
    /// as the layer kinds are, so user types with the same names never count.
    /// </summary>
    internal sealed partial class TorchSymbols
    {
        public Recurrence? RecurrenceOf(ITypeSymbol? type) => type is not null && IsTorchSharp(type)
            ? type.Name switch
            {
                "LSTM" or "GRU" or "RNN" => Recurrence.Sequence,
                "LSTMCell" or "GRUCell" or "RNNCell" => Recurrence.Cell,
                _ => null,
            }
            : null;

        /// <summary><c>torch.optim.Optimizer</c> or a type derived from it (TorchSharp's optimizers and user-written ones).</summary>
        public bool IsOptimizer(ITypeSymbol? type)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (current.Name == "Optimizer" && current.ContainingType?.Name == "optim" && IsTorchSharp(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A call that creates an optimizer: <c>optim.Adam(...)</c>, <c>new SGD(...)</c>.</summary>
        public bool CreatesOptimizer(IMethodSymbol method) =>
            IsOptimizer(method.MethodKind == MethodKind.Constructor ? method.ContainingType : method.ReturnType);

        /// <summary><c>TorchSharp.Modules.Parameter</c>, which <c>RegisterComponents()</c> registers as a parameter.</summary>
        public bool IsParameter(ITypeSymbol? type)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (current.Name == "Parameter" && current.ContainingNamespace?.Name == "Modules" && IsTorchSharp(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>loss.backward()</c> or <c>torch.autograd.backward(...)</c>.</summary>
        public bool IsBackward(IMethodSymbol method) => method.Name == "backward" && IsTorchSharp(method);

        /// <summary>An optimizer's <c>step()</c> (not a learning-rate scheduler's).</summary>
        public bool IsOptimizerStep(IMethodSymbol method) => method.Name == "step" && IsOptimizer(method.ContainingType);

        /// <summary><c>torch.nn.utils.clip_grad_norm_</c>, <c>clip_grad_value_</c>, or GradGuard's <c>GradientMonitor.ClipGradients</c>.</summary>
        public bool IsGradientClipping(IMethodSymbol method) =>
            method.Name is "clip_grad_norm_" or "clip_grad_value_"
                ? method.ContainingType is { Name: "utils" } utils && SymbolEqualityComparer.Default.Equals(utils.ContainingType, Nn)
                : method.Name == "ClipGradients" && IsGradientMonitor(method.ContainingType);

        /// <summary>
        /// TorchSharp's <c>forward</c> of a module, or an override of it: the method <c>call()</c> wraps in the forward hooks.
        /// A user's own method that happens to be called <c>forward</c> overrides nothing of TorchSharp's and is not one.
        /// </summary>
        public bool IsModuleForward(IMethodSymbol method)
        {
            if (method.Name != "forward" || !IsModuleType(method.ContainingType))
            {
                return false;
            }

            for (var current = method; current is not null; current = current.OverriddenMethod)
            {
                if (IsTorchSharp(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A method of TorchSharp's module classes (<c>parameters</c>, <c>save</c>...) or one of its extension methods on
        /// modules (<c>to</c>, <c>cuda</c>, <c>cpu</c>), called on a module.
        /// </summary>
        public bool IsModuleMethod(IMethodSymbol method, string name) =>
            method.Name == name && IsTorchSharp(method) && IsModuleType(method.ReducedFrom is null ? method.ContainingType : method.ReceiverType);

        /// <summary><c>GradGuard.TorchSharp.GradientMonitor</c>, the training-time monitor.</summary>
        public static bool IsGradientMonitor(ITypeSymbol? type) =>
            type is { Name: "GradientMonitor", ContainingNamespace: { Name: "TorchSharp", ContainingNamespace: { Name: "GradGuard", ContainingNamespace.IsGlobalNamespace: true } } };
    }
}
