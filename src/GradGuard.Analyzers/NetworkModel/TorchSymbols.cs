using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// TorchSharp's symbols, resolved once per compilation. Every classification binds to these symbols,
    /// so a user type that happens to be called <c>Sigmoid</c> is never taken for TorchSharp's.
    /// </summary>
    internal sealed partial class TorchSymbols
    {
        // Switches rather than dictionaries: the C# compiler turns them into jumps on the name's length and characters,
        // and they leave no generic collection over LayerKind for the JIT to compile afresh in every compiler process.
        private static LayerKind? ModuleKind(string typeName) => typeName switch
        {
            "Linear" or "Bilinear"
                or "Conv1d" or "Conv2d" or "Conv3d"
                or "ConvTranspose1d" or "ConvTranspose2d" or "ConvTranspose3d" => LayerKind.Weight,
            "Sigmoid" or "Tanh" or "Hardsigmoid" or "Hardtanh" or "LogSigmoid" or "Softsign" => LayerKind.SaturatingActivation,
            "ReLU" or "ReLU6" or "LeakyReLU" or "PReLU" or "RReLU" => LayerKind.ReluActivation,
            "GELU" or "SiLU" or "ELU" or "CELU" or "SELU" or "Mish" or "Hardswish" or "Softplus" or "Softmax" or "LogSoftmax" => LayerKind.OtherActivation,
            "BatchNorm1d" or "BatchNorm2d" or "BatchNorm3d"
                or "InstanceNorm1d" or "InstanceNorm2d" or "InstanceNorm3d"
                or "LayerNorm" or "GroupNorm" or "LocalResponseNorm" or "RMSNorm" => LayerKind.Normalization,
            _ => null,
        };

        /// <summary>Functional and tensor-method forms, by lower-case name, on torch, torch.nn.functional and Tensor.</summary>
        private static LayerKind? FunctionKind(string methodName) => methodName switch
        {
            "sigmoid" or "sigmoid_" or "tanh" or "tanh_"
                or "hardsigmoid" or "hardtanh" or "logsigmoid" or "softsign" => LayerKind.SaturatingActivation,
            "relu" or "relu_" or "relu6" or "leaky_relu" or "prelu" or "rrelu" => LayerKind.ReluActivation,
            "gelu" or "silu" or "elu" or "selu" or "mish" or "hardswish" or "softmax" or "log_softmax" => LayerKind.OtherActivation,
            "batch_norm" or "layer_norm" or "group_norm" or "instance_norm" or "normalize" => LayerKind.Normalization,
            _ => null,
        };

        private TorchSymbols(
            INamedTypeSymbol torch,
            INamedTypeSymbol nn,
            INamedTypeSymbol tensor,
            INamedTypeSymbol module,
            INamedTypeSymbol? functional,
            INamedTypeSymbol? init,
            IAssemblySymbol torchSharp)
        {
            Torch = torch;
            Nn = nn;
            Tensor = tensor;
            Module = module;
            Functional = functional;
            Init = init;
            TorchSharpAssembly = torchSharp;
        }

        public INamedTypeSymbol Torch { get; }

        public INamedTypeSymbol Nn { get; }

        public INamedTypeSymbol Tensor { get; }

        /// <summary><c>torch.nn.Module</c>, the base of every module.</summary>
        public INamedTypeSymbol Module { get; }

        public INamedTypeSymbol? Functional { get; }

        public INamedTypeSymbol? Init { get; }

        public IAssemblySymbol TorchSharpAssembly { get; }

        /// <summary>Whether the compilation references TorchSharp: a look at the references' file names, which binds nothing.</summary>
        public static bool IsReferenced(Compilation compilation) => compilation.References.Any(IsTorchSharpAssembly);

        /// <remarks>
        /// <c>torch</c> is looked up in the referenced TorchSharp assembly itself when there is one: a lookup by metadata
        /// name in the compilation searches every referenced assembly, which costs a compiler process more than all
        /// the rest of GradGuard's start. The nested types are members of <c>torch</c>.
        /// </remarks>
        public static TorchSymbols? Resolve(Compilation compilation)
        {
            var torch = TorchInReferencedAssembly(compilation) ?? compilation.GetTypeByMetadataName("TorchSharp.torch");
            var nn = Nested(torch, "nn");
            var tensor = Nested(torch, "Tensor");
            var module = Nested(nn, "Module");
            if (torch is null || nn is null || tensor is null || module is null)
            {
                return null;
            }

            return new TorchSymbols(torch, nn, tensor, module, Nested(nn, "functional"), Nested(nn, "init"), torch.ContainingAssembly);
        }

        private static INamedTypeSymbol? TorchInReferencedAssembly(Compilation compilation)
        {
            foreach (var reference in compilation.References)
            {
                if (IsTorchSharpAssembly(reference)
                    && compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly
                    && assembly.GetTypeByMetadataName("TorchSharp.torch") is { } torch)
                {
                    return torch;
                }
            }

            return null;
        }

        private static bool IsTorchSharpAssembly(MetadataReference reference) =>
            reference is PortableExecutableReference { FilePath: { } path } && path.EndsWith("TorchSharp.dll", System.StringComparison.OrdinalIgnoreCase);

        private static INamedTypeSymbol? Nested(INamedTypeSymbol? container, string name) =>
            container?.GetTypeMembers(name).FirstOrDefault(type => type.Arity == 0);

        [MethodImpl(HotPaths.Optimized)]
        public bool IsTorchSharp(ISymbol? symbol) =>
            symbol is not null && SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, TorchSharpAssembly);

        public bool IsTensor(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, Tensor);

        public bool IsModuleType(ITypeSymbol? type) => InheritsFrom(type, Module);

        /// <summary>
        /// A source class deriving from any TorchSharp module (<c>Module&lt;Tensor, Tensor&gt;</c>, a multi-input
        /// <c>Module&lt;Tensor, Tensor, Tensor&gt;</c>, a plain <c>Module</c> with its own <c>forward</c>).
        /// </summary>
        public bool IsCustomModule(ITypeSymbol? type) =>
            type is INamedTypeSymbol { TypeKind: TypeKind.Class } named
            && !IsTorchSharp(named)
            && InheritsFrom(named.BaseType, Module);

        /// <summary>The kind of a TorchSharp module type (<c>TorchSharp.Modules.Linear</c>...), or null when it is not one.</summary>
        [MethodImpl(HotPaths.Optimized)]
        public LayerKind? KindOfModuleType(ITypeSymbol? type)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (IsTorchSharp(current) && ModuleKind(current.Name) is { } kind)
                {
                    return kind;
                }
            }

            return null;
        }

        /// <summary>The kind of a functional call (<c>torch.sigmoid</c>, <c>functional.relu</c>, <c>x.tanh()</c>), or null.</summary>
        public LayerKind? KindOfFunction(IMethodSymbol method)
        {
            var container = method.ContainingType?.OriginalDefinition;
            var onTorchSharpTensorApi = SymbolEqualityComparer.Default.Equals(container, Torch)
                || SymbolEqualityComparer.Default.Equals(container, Functional)
                || SymbolEqualityComparer.Default.Equals(container, Tensor);
            return onTorchSharpTensorApi ? FunctionKind(method.Name) : null;
        }

        public bool IsNnFactory(IMethodSymbol method, string name) =>
            method.Name == name && SymbolEqualityComparer.Default.Equals(method.ContainingType, Nn);

        public bool IsInitMethod(IMethodSymbol method) =>
            Init is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, Init);

        /// <remarks>
        /// Walks the definitions' base types (<c>Module&lt;T, TResult&gt;</c>'s, not <c>Module&lt;Tensor, Tensor&gt;</c>'s): for a
        /// <paramref name="baseType"/> that is not generic, as <c>Module</c> is not, the answer is the same, and the base type of
        /// a constructed type is substituted afresh for each instance of it the compiler makes, which the profiles of GG0004
        /// showed under most of its type tests.
        /// </remarks>
        [MethodImpl(HotPaths.Optimized)]
        private static bool InheritsFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
        {
            for (var current = type?.OriginalDefinition; current is not null; current = current.BaseType?.OriginalDefinition)
            {
                if (SymbolEqualityComparer.Default.Equals(current, baseType))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
