using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>
    /// GG0001: swaps the stack's hidden saturating activations (the diagnostic's additional locations) for ReLU or GELU,
    /// in whichever form they were written: <c>nn.Sigmoid()</c>, <c>functional.tanh(x)</c>, <c>torch.sigmoid(x)</c>, <c>x.tanh()</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceSaturatingActivationsCodeFix))]
    [Shared]
    public sealed class ReplaceSaturatingActivationsCodeFix : CodeFixProvider
    {
        private static readonly (string Title, string Module, string Function)[] Replacements =
        {
            ("Replace the hidden saturating activations with ReLU", "ReLU", "relu"),
            ("Replace the hidden saturating activations with GELU", "GELU", "gelu"),
        };

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.DeepSaturatingStack);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics.Where(d => d.AdditionalLocations.Count > 0))
            {
                foreach (var (title, module, function) in Replacements)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            title,
                            cancellation => ReplaceAsync(context.Document.Project.Solution, diagnostic, module, function, cancellation),
                            equivalenceKey: RuleIds.DeepSaturatingStack + module),
                        diagnostic);
                }
            }

            return Task.CompletedTask;
        }

        private static async Task<Solution> ReplaceAsync(Solution solution, Diagnostic diagnostic, string module, string function, CancellationToken cancellationToken)
        {
            foreach (var group in diagnostic.AdditionalLocations.Where(l => l.SourceTree is not null).GroupBy(l => l.SourceTree!))
            {
                var document = solution.GetDocument(group.Key);
                if (document is null
                    || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root
                    || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model)
                {
                    continue;
                }

                var calls = group
                    .Select(l => root.FindNode(l.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>())
                    .OfType<InvocationExpressionSyntax>()
                    .Select(call => (Call: call, Method: model.GetSymbolInfo(call, cancellationToken).Symbol as IMethodSymbol))
                    .Where(c => c.Method is not null)
                    .ToDictionary(c => c.Call, c => c.Method!);
                var newRoot = root.ReplaceNodes(calls.Keys, (original, _) => Replacement(original, calls[original], module, function));
                solution = solution.WithDocumentSyntaxRoot(document.Id, newRoot);
            }

            return solution;
        }

        /// <summary>
        /// A call keeps its receiver with the name swapped when its class has the replacement (<c>nn.Tanh()</c> →
        /// <c>nn.ReLU()</c>, <c>functional.sigmoid(x)</c> → <c>functional.relu(x)</c>, <c>x.tanh()</c> → <c>x.relu()</c>);
        /// <c>torch.sigmoid(x)</c>, whose class has no relu, becomes <c>x.relu()</c>.
        /// </summary>
        private static ExpressionSyntax Replacement(InvocationExpressionSyntax call, IMethodSymbol method, string module, string function)
        {
            var isModuleFactory = method.IsStatic && char.IsUpper(method.Name[0]);
            var newName = isModuleFactory ? module : function;
            var arguments = call.ArgumentList.Arguments;
            if (method.ContainingType.GetMembers(newName).Any(m => m is IMethodSymbol))
            {
                var kept = method.IsStatic && !isModuleFactory && arguments.Count > 0
                    ? SyntaxFactory.SingletonSeparatedList(arguments[0])
                    : default;
                return call.WithExpression(Renamed(call.Expression, SyntaxFactory.IdentifierName(newName))).WithArgumentList(SyntaxFactory.ArgumentList(kept));
            }

            if (arguments.Count == 0)
            {
                return call;
            }

            var input = arguments[0].Expression.WithoutTrivia();
            var receiver = input is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax
                ? input
                : SyntaxFactory.ParenthesizedExpression(input);
            return SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, SyntaxFactory.IdentifierName(function)))
                .WithTriviaFrom(call);
        }

        private static ExpressionSyntax Renamed(ExpressionSyntax expression, SimpleNameSyntax newName) => expression switch
        {
            MemberAccessExpressionSyntax access => access.WithName(newName.WithTriviaFrom(access.Name)),
            _ => newName.WithTriviaFrom(expression),
        };
    }
}
