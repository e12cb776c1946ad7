using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// TorchSharp's symbols, resolved once per compilation. Every classification binds to these symbols,
    /// so a user type that happens to be called <c>Sigmoid</c> is never taken for TorchSharp's.
    /// </summary>
    internal sealed class TorchSymbols
    {
        private static readonly ImmutableDictionary<string, LayerKind> ModuleKinds = new Dictionary<string, LayerKind>
        {
            ["Linear"] = LayerKind.Weight,
            ["Bilinear"] = LayerKind.Weight,
            ["Conv1d"] = LayerKind.Weight,
            ["Conv2d"] = LayerKind.Weight,
            ["Conv3d"] = LayerKind.Weight,
            ["ConvTranspose1d"] = LayerKind.Weight,
            ["ConvTranspose2d"] = LayerKind.Weight,
            ["ConvTranspose3d"] = LayerKind.Weight,
            ["Sigmoid"] = LayerKind.SaturatingActivation,
            ["Tanh"] = LayerKind.SaturatingActivation,
            ["Hardsigmoid"] = LayerKind.SaturatingActivation,
            ["Hardtanh"] = LayerKind.SaturatingActivation,
            ["LogSigmoid"] = LayerKind.SaturatingActivation,
            ["Softsign"] = LayerKind.SaturatingActivation,
            ["ReLU"] = LayerKind.ReluActivation,
            ["ReLU6"] = LayerKind.ReluActivation,
            ["LeakyReLU"] = LayerKind.ReluActivation,
            ["PReLU"] = LayerKind.ReluActivation,
            ["RReLU"] = LayerKind.ReluActivation,
            ["GELU"] = LayerKind.OtherActivation,
            ["SiLU"] = LayerKind.OtherActivation,
            ["ELU"] = LayerKind.OtherActivation,
            ["CELU"] = LayerKind.OtherActivation,
            ["SELU"] = LayerKind.OtherActivation,
            ["Mish"] = LayerKind.OtherActivation,
            ["Softplus"] = LayerKind.OtherActivation,
            ["Softmax"] = LayerKind.OtherActivation,
            ["LogSoftmax"] = LayerKind.OtherActivation,
            ["BatchNorm1d"] = LayerKind.Normalization,
            ["BatchNorm2d"] = LayerKind.Normalization,
            ["BatchNorm3d"] = LayerKind.Normalization,
            ["LayerNorm"] = LayerKind.Normalization,
            ["GroupNorm"] = LayerKind.Normalization,
            ["InstanceNorm1d"] = LayerKind.Normalization,
            ["InstanceNorm2d"] = LayerKind.Normalization,
            ["InstanceNorm3d"] = LayerKind.Normalization,
            ["LocalResponseNorm"] = LayerKind.Normalization,
        }.ToImmutableDictionary();

        /// <summary>Functional and tensor-method forms, by lower-case name, on torch, torch.nn.functional and Tensor.</summary>
        private static readonly ImmutableDictionary<string, LayerKind> FunctionKinds = new Dictionary<string, LayerKind>
        {
            ["sigmoid"] = LayerKind.SaturatingActivation,
            ["sigmoid_"] = LayerKind.SaturatingActivation,
            ["tanh"] = LayerKind.SaturatingActivation,
            ["tanh_"] = LayerKind.SaturatingActivation,
            ["hardsigmoid"] = LayerKind.SaturatingActivation,
            ["hardtanh"] = LayerKind.SaturatingActivation,
            ["logsigmoid"] = LayerKind.SaturatingActivation,
            ["softsign"] = LayerKind.SaturatingActivation,
            ["relu"] = LayerKind.ReluActivation,
            ["relu_"] = LayerKind.ReluActivation,
            ["relu6"] = LayerKind.ReluActivation,
            ["leaky_relu"] = LayerKind.ReluActivation,
            ["prelu"] = LayerKind.ReluActivation,
            ["rrelu"] = LayerKind.ReluActivation,
            ["gelu"] = LayerKind.OtherActivation,
            ["silu"] = LayerKind.OtherActivation,
            ["elu"] = LayerKind.OtherActivation,
            ["selu"] = LayerKind.OtherActivation,
            ["mish"] = LayerKind.OtherActivation,
            ["softmax"] = LayerKind.OtherActivation,
            ["log_softmax"] = LayerKind.OtherActivation,
            ["batch_norm"] = LayerKind.Normalization,
            ["layer_norm"] = LayerKind.Normalization,
            ["group_norm"] = LayerKind.Normalization,
            ["instance_norm"] = LayerKind.Normalization,
            ["normalize"] = LayerKind.Normalization,
        }.ToImmutableDictionary();

        private TorchSymbols(
            INamedTypeSymbol torch,
            INamedTypeSymbol nn,
            INamedTypeSymbol tensor,
            INamedTypeSymbol module,
            INamedTypeSymbol tensorModule,
            INamedTypeSymbol? functional,
            INamedTypeSymbol? init,
            IAssemblySymbol torchSharp)
        {
            Torch = torch;
            Nn = nn;
            Tensor = tensor;
            Module = module;
            TensorModule = tensorModule;
            Functional = functional;
            Init = init;
            TorchSharpAssembly = torchSharp;
        }

        public INamedTypeSymbol Torch { get; }

        public INamedTypeSymbol Nn { get; }

        public INamedTypeSymbol Tensor { get; }

        /// <summary><c>torch.nn.Module</c>, the base of every module.</summary>
        public INamedTypeSymbol Module { get; }

        /// <summary><c>torch.nn.Module&lt;Tensor, Tensor&gt;</c>, the base of custom networks.</summary>
        public INamedTypeSymbol TensorModule { get; }

        public INamedTypeSymbol? Functional { get; }

        public INamedTypeSymbol? Init { get; }

        public IAssemblySymbol TorchSharpAssembly { get; }

        public static TorchSymbols? Resolve(Compilation compilation)
        {
            var torch = compilation.GetTypeByMetadataName("TorchSharp.torch");
            var nn = compilation.GetTypeByMetadataName("TorchSharp.torch+nn");
            var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
            var module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
            var genericModule = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module`2");
            if (torch is null || nn is null || tensor is null || module is null || genericModule is null)
            {
                return null;
            }

            return new TorchSymbols(
                torch,
                nn,
                tensor,
                module,
                genericModule.Construct(tensor, tensor),
                compilation.GetTypeByMetadataName("TorchSharp.torch+nn+functional"),
                compilation.GetTypeByMetadataName("TorchSharp.torch+nn+init"),
                torch.ContainingAssembly);
        }

        public bool IsTorchSharp(ISymbol? symbol) =>
            symbol is not null && SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, TorchSharpAssembly);

        public bool IsTensor(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, Tensor);

        public bool IsModuleType(ITypeSymbol? type) => InheritsFrom(type, Module);

        /// <summary>A source class deriving from <c>Module&lt;Tensor, Tensor&gt;</c>: a custom network or block.</summary>
        public bool IsCustomTensorModule(ITypeSymbol? type) =>
            type is INamedTypeSymbol { TypeKind: TypeKind.Class } named
            && !IsTorchSharp(named)
            && InheritsFrom(named.BaseType, TensorModule);

        /// <summary>The kind of a TorchSharp module type (<c>TorchSharp.Modules.Linear</c>...), or null when it is not one.</summary>
        public LayerKind? KindOfModuleType(ITypeSymbol? type)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (IsTorchSharp(current) && ModuleKinds.TryGetValue(current.Name, out var kind))
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
            return onTorchSharpTensorApi && FunctionKinds.TryGetValue(method.Name, out var kind) ? kind : null;
        }

        public bool IsNnFactory(IMethodSymbol method, string name) =>
            method.Name == name && SymbolEqualityComparer.Default.Equals(method.ContainingType, Nn);

        public bool IsInitMethod(IMethodSymbol method) =>
            Init is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, Init);

        private static bool InheritsFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, baseType) || SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
