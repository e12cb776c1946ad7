using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers.ModuleRegistration
{
    /// <summary>A module used as the root of a model: trained, moved, saved or watched as a whole.</summary>
    internal readonly struct RootModuleUse
    {
        public RootModuleUse(IReadOnlyList<INamedTypeSymbol> types, string description)
        {
            Types = types;
            Description = description;
        }

        /// <summary>The module's class as declared and, for a local or field, as created.</summary>
        public IReadOnlyList<INamedTypeSymbol> Types { get; }

        public string Description { get; }

        /// <summary>The names of the calls that can make a root use; other calls are never bound for it.</summary>
        public static readonly string[] CandidateNames = { "parameters", "named_parameters", "to", "cuda", "cpu", "save", "load", "Attach" };

        /// <summary>
        /// The root use an invocation makes: <c>m.parameters()</c> given to an optimizer, <c>m.to(...)</c>, <c>m.cuda()</c>,
        /// <c>m.cpu()</c>, <c>m.save(...)</c>, <c>m.load(...)</c> or <c>GradientMonitor.Attach(m)</c>; null for any other call.
        /// </summary>
        public static RootModuleUse? Of(InvocationExpressionSyntax invocation, SemanticModel model, TorchSymbols torch, CancellationToken cancellationToken)
        {
            var (receiver, name) = ModuleClassRegistration.Callee(invocation.Expression);
            var description = name switch
            {
                "parameters" or "named_parameters" => $"its {name}() go to an optimizer",
                "to" or "cuda" or "cpu" => $"it is moved with {name}()",
                "save" or "load" => $"it is {name}d with {name}()",
                "Attach" => "GradientMonitor.Attach watches it",
                _ => null,
            };
            if (description is null || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
            {
                return null;
            }

            ExpressionSyntax? root;
            if (name == "Attach")
            {
                if (!TorchSymbols.IsGradientMonitor(method.ContainingType) || invocation.ArgumentList.Arguments.Count == 0)
                {
                    return null;
                }

                root = invocation.ArgumentList.Arguments[0].Expression;
            }
            else if (torch.IsModuleMethod(method, name!) && (name is not ("parameters" or "named_parameters") || GoesToOptimizer(invocation, model, torch, cancellationToken)))
            {
                root = receiver ?? (invocation.Expression is MemberBindingExpressionSyntax ? invocation.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>()?.Expression : null);
            }
            else
            {
                return null;
            }

            return new RootModuleUse(TypesOf(root, invocation, model, cancellationToken), description);
        }

        /// <summary>Whether the call is inside the arguments of a call that creates an optimizer (through <c>Concat</c>, casts...).</summary>
        private static bool GoesToOptimizer(InvocationExpressionSyntax parameters, SemanticModel model, TorchSymbols torch, CancellationToken cancellationToken) =>
            parameters.Ancestors()
                .TakeWhile(node => node is not (StatementSyntax or MemberDeclarationSyntax))
                .OfType<ArgumentSyntax>()
                .Select(argument => argument.Parent?.Parent)
                .Where(call => call is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
                .Any(call => model.GetSymbolInfo(call!, cancellationToken).Symbol is IMethodSymbol creator && torch.CreatesOptimizer(creator));

        private static IReadOnlyList<INamedTypeSymbol> TypesOf(ExpressionSyntax? root, SyntaxNode site, SemanticModel model, CancellationToken cancellationToken)
        {
            if (root is null or ThisExpressionSyntax)
            {
                return model.GetEnclosingSymbol(site.SpanStart, cancellationToken)?.ContainingType is { } self ? new[] { self } : new INamedTypeSymbol[0];
            }

            var types = new List<INamedTypeSymbol>();
            if (model.GetTypeInfo(root, cancellationToken).Type is INamedTypeSymbol declared)
            {
                types.Add(declared);
            }

            // A model held as Module<Tensor, Tensor> is still the class it was created as.
            var symbol = model.GetSymbolInfo(root, cancellationToken).Symbol;
            var initializer = symbol is ILocalSymbol or IFieldSymbol
                ? symbol.DeclaringSyntaxReferences
                    .Select(reference => reference.GetSyntax(cancellationToken))
                    .OfType<VariableDeclaratorSyntax>()
                    .FirstOrDefault(declarator => declarator.SyntaxTree == model.SyntaxTree)?.Initializer?.Value
                : null;
            if (initializer is not null && model.GetTypeInfo(initializer, cancellationToken).Type is INamedTypeSymbol created)
            {
                types.Add(created);
            }

            return types;
        }
    }
}
