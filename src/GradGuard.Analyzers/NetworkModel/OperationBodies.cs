using System.Collections.Concurrent;
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
    internal sealed class OperationBodies
    {
        private readonly SemanticModels models;
        private readonly ConcurrentDictionary<SyntaxNode, IOperation?> bodies = new();

        public OperationBodies(SemanticModels models) => this.models = models;

        /// <summary>The body of a method, constructor, accessor or local function declared in the compilation.</summary>
        public IOperation? Of(IMethodSymbol method, CancellationToken cancellationToken)
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

        public SemanticModel? ModelOf(SyntaxTree tree) => models.For(tree);
    }
}
