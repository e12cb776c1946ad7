using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>Adds a registration statement as a constructor's last, where TorchSharp expects registration to happen.</summary>
    internal static class ConstructorEnd
    {
        /// <summary>
        /// The constructor with <paramref name="statement"/> appended; an expression body becomes a block. A blank line
        /// separates it from a statement that ends with a block, as the code around it is usually written.
        /// </summary>
        public static ConstructorDeclarationSyntax Append(ConstructorDeclarationSyntax constructor, StatementSyntax statement)
        {
            var body = constructor.Body
                ?? SyntaxFactory.Block(constructor.ExpressionBody is { } arrow ? new StatementSyntax[] { SyntaxFactory.ExpressionStatement(arrow.Expression) } : new StatementSyntax[0]);
            if (body.Statements.LastOrDefault() is { } last && last.GetLastToken().IsKind(SyntaxKind.CloseBraceToken))
            {
                statement = statement.WithLeadingTrivia(last.GetTrailingTrivia().Where(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia)));
            }

            return constructor
                .WithExpressionBody(null)
                .WithSemicolonToken(default)
                .WithBody(body.AddStatements(statement))
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        /// <summary>Whether the constructor runs its own body rather than another constructor's first (<c>: this(...)</c>).</summary>
        public static bool RegistersItself(ConstructorDeclarationSyntax constructor) =>
            !constructor.Modifiers.Any(SyntaxKind.StaticKeyword) && constructor.Initializer is not { ThisOrBaseKeyword.RawKind: (int)SyntaxKind.ThisKeyword };
    }
}
