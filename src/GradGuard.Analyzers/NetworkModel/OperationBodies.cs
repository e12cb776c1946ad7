using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// The operation trees of the bodies GradGuard reads, each asked of its file's semantic model once per
    /// compilation however many networks run it: a block's constructor and <c>forward</c>, a helper, an initialiser.
    /// Shared by the threads that model the compilation together.
    /// </summary>
    /// <remarks>
    /// A block built 36 times in a ResNet stage, or in every network of a compilation, is looked up by its symbol once:
    /// the lookups by syntax and the walks over a type's members are done the first time only.
    /// </remarks>
    internal sealed class OperationBodies
    {
        private readonly SemanticModels models;
        private readonly ConcurrentDictionary<SyntaxNode, IOperation?> bodies = new();
        private readonly ConcurrentDictionary<ISymbol, IOperation?> methodBodies = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, IOperation?> initializers = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, ImmutableArray<ISymbol>> instanceMembers = new(SymbolEqualityComparer.Default);

        public OperationBodies(SemanticModels models) => this.models = models;

        /// <summary>The body of a method, constructor, accessor or local function declared in the compilation.</summary>
        public IOperation? Of(IMethodSymbol method, CancellationToken cancellationToken)
        {
            if (!methodBodies.TryGetValue(method, out var body))
            {
                body = BodyOf(method, cancellationToken);
                methodBodies.TryAdd(method, body);
            }

            return body;
        }

        /// <summary>The operation of a declaration's syntax: a member's body, a field's initialiser, top-level statements.</summary>
        public IOperation? Of(SyntaxNode syntax, CancellationToken cancellationToken)
        {
            if (!bodies.TryGetValue(syntax, out var body))
            {
                body = models.For(syntax.SyntaxTree)?.GetOperation(syntax, cancellationToken);
                bodies.TryAdd(syntax, body);
            }

            return body;
        }

        /// <summary>The initialiser of a field or property (<c>= nn.Linear(4, 8)</c>), or null when it has none.</summary>
        public ISymbolInitializerOperation? InitializerOf(ISymbol member, CancellationToken cancellationToken)
        {
            if (!initializers.TryGetValue(member, out var initializer))
            {
                initializer = FindInitializer(member, cancellationToken);
                initializers.TryAdd(member, initializer);
            }

            return initializer as ISymbolInitializerOperation;
        }

        /// <summary>A type's own instance fields (constants aside) and properties: what an instance's initialisers set.</summary>
        public ImmutableArray<ISymbol> InstanceMembersOf(INamedTypeSymbol type)
        {
            if (!instanceMembers.TryGetValue(type, out var members))
            {
                var found = ImmutableArray.CreateBuilder<ISymbol>();
                foreach (var member in type.GetMembers())
                {
                    if (member is IFieldSymbol { IsConst: false, IsStatic: false } or IPropertySymbol { IsStatic: false })
                    {
                        found.Add(member);
                    }
                }

                members = found.ToImmutable();
                instanceMembers.TryAdd(type, members);
            }

            return members;
        }

        public SemanticModel? ModelOf(SyntaxTree tree) => models.For(tree);

        private IOperation? BodyOf(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var definition = method.PartialImplementationPart ?? method.OriginalDefinition;
            foreach (var reference in definition.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellationToken);
                if (syntax is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax or ArrowExpressionClauseSyntax or CompilationUnitSyntax
                    && Of(syntax, cancellationToken) is { } body)
                {
                    // A local function's operation is its declaration; what runs is its body.
                    return body is ILocalFunctionOperation localFunction ? localFunction.Body ?? localFunction.IgnoredBody : body;
                }
            }

            return null;
        }

        private IOperation? FindInitializer(ISymbol member, CancellationToken cancellationToken)
        {
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var initializer = reference.GetSyntax(cancellationToken) switch
                {
                    VariableDeclaratorSyntax declarator => declarator.Initializer,
                    PropertyDeclarationSyntax property => property.Initializer,
                    _ => null,
                };
                if (initializer is not null && Of(initializer, cancellationToken) is ISymbolInitializerOperation operation)
                {
                    return operation;
                }
            }

            return null;
        }
    }
}
