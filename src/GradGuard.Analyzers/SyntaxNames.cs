using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers
{
    /// <summary>Names read from syntax alone, for the checks that match variables and fields by name instead of binding.</summary>
    internal static class SyntaxNames
    {
        /// <summary>The names a node mentions or declares: identifiers, and the designations of <c>var (a, b)</c>.</summary>
        public static HashSet<string> In(SyntaxNode? node) => node is null
            ? new HashSet<string>()
            : new HashSet<string>(node.DescendantNodesAndSelf()
                .Select(descendant => descendant switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    SingleVariableDesignationSyntax designation => designation.Identifier.ValueText,
                    _ => null,
                })
                .OfType<string>());

        /// <summary>The variables a loop declares: <c>foreach (var x ...)</c>, <c>foreach (var (a, b) ...)</c>, <c>for (int i ...)</c>.</summary>
        public static HashSet<string> DeclaredBy(SyntaxNode loop) => loop switch
        {
            ForEachStatementSyntax forEach => new HashSet<string> { forEach.Identifier.ValueText },
            ForEachVariableStatementSyntax forEachVariable => In(forEachVariable.Variable),
            ForStatementSyntax { Declaration: { } declaration } => new HashSet<string>(declaration.Variables.Select(variable => variable.Identifier.ValueText)),
            _ => new HashSet<string>(),
        };

        public static bool IsLoop(SyntaxNode node) => node is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;
    }
}
