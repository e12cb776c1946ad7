using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.TrainingSteps
{
    /// <summary>The executable code around a node (a member, a local function, a lambda) and its control flow graph.</summary>
    internal static class ExecutableCode
    {
        /// <summary>The innermost method, accessor, local function, lambda or top-level program that holds <paramref name="node"/>.</summary>
        public static SyntaxNode? Around(SyntaxNode node) => node.Ancestors().FirstOrDefault(IsExecutable);

        /// <summary>The member (method, constructor, accessor, operator) or top-level program that holds <paramref name="node"/>.</summary>
        public static SyntaxNode? MemberAround(SyntaxNode node) =>
            node.AncestorsAndSelf().FirstOrDefault(ancestor => IsExecutable(ancestor) && ancestor is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax));

        /// <summary>
        /// The graph of an executable's code. A lambda's or local function's graph hangs off its parent's, which is why
        /// the parents are built first; null for code the compiler has no graph for.
        /// </summary>
        public static ControlFlowGraph? Graph(SyntaxNode executable, SemanticModel model, CancellationToken cancellationToken)
        {
            switch (executable)
            {
                case LocalFunctionStatementSyntax function:
                    return Around(function) is { } parent
                        && Graph(parent, model, cancellationToken) is { } parentGraph
                        && model.GetDeclaredSymbol(function, cancellationToken) is IMethodSymbol symbol
                        && parentGraph.LocalFunctions.Contains(symbol, SymbolEqualityComparer.Default)
                            ? parentGraph.GetLocalFunctionControlFlowGraph(symbol, cancellationToken)
                            : null;
                case AnonymousFunctionExpressionSyntax lambda:
                    return Around(lambda) is { } owner
                        && Graph(owner, model, cancellationToken) is { } ownerGraph
                        && Operations(ownerGraph).SelectMany(operation => operation.DescendantsAndSelf()).OfType<IFlowAnonymousFunctionOperation>().FirstOrDefault(flow => flow.Syntax == lambda) is { } anonymous
                            ? ownerGraph.GetAnonymousFunctionControlFlowGraph(anonymous, cancellationToken)
                            : null;
                default:
                    try
                    {
                        return model.GetOperation(executable, cancellationToken) is not null
                            ? ControlFlowGraph.Create(executable, model, cancellationToken)
                            : null;
                    }
                    catch (ArgumentException)
                    {
                        // A node the compiler has no graph for, such as an accessor of an interface.
                        return null;
                    }
            }
        }

        /// <summary>The operations of every block, branch conditions included, in the graph's order.</summary>
        public static IEnumerable<IOperation> Operations(ControlFlowGraph graph) =>
            graph.Blocks.SelectMany(block => block.BranchValue is { } branch ? block.Operations.Append(branch) : block.Operations);

        private static bool IsExecutable(SyntaxNode node) =>
            node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or CompilationUnitSyntax;
    }
}
