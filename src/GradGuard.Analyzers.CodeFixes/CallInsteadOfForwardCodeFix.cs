using System.Collections.Immutable;
using System.Linq;
using System.Composition;
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
    /// GG0006: <c>m.forward(x)</c> becomes <c>m.call(x)</c>. Offered only where the rewritten call binds to a <c>call</c>
    /// with the same arguments (TorchSharp's recurrent and transformer modules declare their own overloads of it).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CallInsteadOfForwardCodeFix))]
    [Shared]
    public sealed class CallInsteadOfForwardCodeFix : CodeFixProvider
    {
        private const string Title = "Call the module through call(), which runs its hooks";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.DirectForwardCall);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } invocation
                    && ForwardName(invocation) is { } name
                    && BindsToCall(model, invocation, name, context.CancellationToken))
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(name, Call(name)))), equivalenceKey: RuleIds.DirectForwardCall),
                        diagnostic);
                }
            }
        }

        /// <summary>The name to replace; none for <c>base.forward</c>, whose <c>call</c> would dispatch back to the override.</summary>
        private static SimpleNameSyntax? ForwardName(InvocationExpressionSyntax invocation) => invocation.Expression switch
        {
            MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax } => null,
            MemberAccessExpressionSyntax access => access.Name,
            MemberBindingExpressionSyntax binding => binding.Name,
            IdentifierNameSyntax identifier => identifier,
            _ => null,
        };

        /// <summary>Binds the rewritten call where it stands, in a speculative model of its statement or initialiser.</summary>
        private static bool BindsToCall(SemanticModel model, InvocationExpressionSyntax invocation, SimpleNameSyntax name, CancellationToken cancellationToken)
        {
            var host = invocation.Ancestors().FirstOrDefault(node => node is StatementSyntax or ArrowExpressionClauseSyntax or EqualsValueClauseSyntax);
            var marker = new SyntaxAnnotation();
            var rewritten = host?.ReplaceNode(name, Call(name).WithAdditionalAnnotations(marker));
            SemanticModel? speculative = null;
            var bound = (host, rewritten) switch
            {
                (StatementSyntax original, StatementSyntax statement) => model.TryGetSpeculativeSemanticModel(original.SpanStart, statement, out speculative),
                (ArrowExpressionClauseSyntax original, ArrowExpressionClauseSyntax arrow) => model.TryGetSpeculativeSemanticModel(original.SpanStart, arrow, out speculative),
                (EqualsValueClauseSyntax original, EqualsValueClauseSyntax initializer) => model.TryGetSpeculativeSemanticModel(original.SpanStart, initializer, out speculative),
                _ => false,
            };
            return bound
                && speculative is not null
                && rewritten!.GetAnnotatedNodes(marker).Single().FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } call
                && speculative.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { Name: "call" };
        }

        private static SimpleNameSyntax Call(SimpleNameSyntax forward) => SyntaxFactory.IdentifierName("call").WithTriviaFrom(forward);
    }
}
