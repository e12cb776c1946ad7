using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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
    /// They are kept by symbol: a block built in every network of a compilation is looked up once, without its
    /// declaration's syntax being found again each time, and a type's members are listed once.
    /// </remarks>
    internal sealed class OperationBodies
    {
        private readonly SemanticModels models;
        private readonly ConcurrentDictionary<ISymbol, IOperation?> methodBodies = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, IOperation?> initializers = new(SymbolEqualityComparer.Default);
        // Arrays, not immutable arrays: a dictionary of references runs on code the runtime already has, one of structs
        // is compiled afresh in every compiler process.
        private readonly ConcurrentDictionary<ISymbol, InstanceMember[]> instanceMembers = new(SymbolEqualityComparer.Default);

        public OperationBodies(SemanticModels models) => this.models = models;

        /// <summary>The body of a method, constructor, accessor or local function declared in the compilation.</summary>
        [MethodImpl(HotPaths.Optimized)]
        public IOperation? Of(IMethodSymbol method, CancellationToken cancellationToken)
        {
            if (!methodBodies.TryGetValue(method, out var body))
            {
                body = BodyOf(method, cancellationToken);
                methodBodies.TryAdd(method, body);
            }

            return body;
        }

        /// <summary>
        /// The operation of a declaration's syntax: a member's body, a field's initialiser, top-level statements. Not kept
        /// here: a unit's own declaration is run once, and what is reached from elsewhere is kept by its symbol.
        /// </summary>
        public IOperation? Of(SyntaxNode syntax, CancellationToken cancellationToken) =>
            models.For(syntax.SyntaxTree)?.GetOperation(syntax, cancellationToken);

        /// <summary>The initialiser of a field or property (<c>= nn.Linear(4, 8)</c>), or null when it has none.</summary>
        [MethodImpl(HotPaths.Optimized)]
        public ISymbolInitializerOperation? InitializerOf(ISymbol member, CancellationToken cancellationToken)
        {
            if (!initializers.TryGetValue(member, out var initializer))
            {
                initializer = FindInitializer(member, cancellationToken);
                initializers.TryAdd(member, initializer);
            }

            return initializer as ISymbolInitializerOperation;
        }

        /// <summary>
        /// A type's own instance fields (constants aside) and properties with their initialisers: what an instance's
        /// initialisers set. Kept together, so that building an instance looks up its type once rather than each member.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        public IReadOnlyList<InstanceMember> InstanceMembersOf(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            if (!instanceMembers.TryGetValue(type, out var members))
            {
                var found = new List<InstanceMember>();
                foreach (var member in type.GetMembers())
                {
                    if (member is IFieldSymbol { IsConst: false, IsStatic: false } or IPropertySymbol { IsStatic: false })
                    {
                        found.Add(new InstanceMember(member, InitializerOf(member, cancellationToken)));
                    }
                }

                members = found.ToArray();
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

    /// <summary>An instance field or property of a type, and its initialiser (<c>= nn.Linear(4, 8)</c>) where it has one.</summary>
    internal sealed class InstanceMember
    {
        public InstanceMember(ISymbol symbol, ISymbolInitializerOperation? initializer)
        {
            Symbol = symbol;
            Initializer = initializer;
        }

        public ISymbol Symbol { get; }

        public ISymbolInitializerOperation? Initializer { get; }
    }
}
