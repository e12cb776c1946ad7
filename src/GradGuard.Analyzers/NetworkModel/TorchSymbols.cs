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
            "GELU" or "SiLU" or "ELU" or "CELU" or "SELU" or "Mish" or "Softplus" or "Softmax" or "LogSoftmax" => LayerKind.OtherActivation,
            "BatchNorm1d" or "BatchNorm2d" or "BatchNorm3d"
                or "InstanceNorm1d" or "InstanceNorm2d" or "InstanceNorm3d"
                or "LayerNorm" or "GroupNorm" or "LocalResponseNorm" => LayerKind.Normalization,
            _ => null,
        };

        /// <summary>Functional and tensor-method forms, by lower-case name, on torch, torch.nn.functional and Tensor.</summary>
        private static LayerKind? FunctionKind(string methodName) => methodName switch
        {
            "sigmoid" or "sigmoid_" or "tanh" or "tanh_"
                or "hardsigmoid" or "hardtanh" or "logsigmoid" or "softsign" => LayerKind.SaturatingActivation,
            "relu" or "relu_" or "relu6" or "leaky_relu" or "prelu" or "rrelu" => LayerKind.ReluActivation,
            "gelu" or "silu" or "elu" or "selu" or "mish" or "softmax" or "log_softmax" => LayerKind.OtherActivation,
            "batch_norm" or "layer_norm" or "group_norm" or "instance_norm" or "normalize" => LayerKind.Normalization,
            _ => null,
        };

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
