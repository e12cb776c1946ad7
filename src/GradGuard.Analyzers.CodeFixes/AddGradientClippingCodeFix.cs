using System.Collections.Generic;
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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>
    /// GG0004: clips the gradients of each trained model, <c>torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);</c>,
    /// right before the optimizer's <c>step()</c>, or, for <c>step(closure)</c>, right after the closure's <c>backward()</c>.
    /// The maximum norm is <c>gradguard.GG0004.max_norm</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddGradientClippingCodeFix))]
    [Shared]
    public sealed class AddGradientClippingCodeFix : CodeFixProvider
    {
        private const string Title = "Clip the gradient norm before the optimizer step";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnclippedRecurrentTraining);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                if (root is not null
                    && diagnostic.Properties.TryGetValue(UnclippedRecurrentTrainingAnalyzer.ModelsProperty, out var models) && models is not null
                    && diagnostic.Properties.TryGetValue(UnclippedRecurrentTrainingAnalyzer.MaxNormProperty, out var maxNorm) && maxNorm is not null
                    && Anchor(root, diagnostic) is { } anchor)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(Title, cancellation => ClipAsync(context.Document, anchor, models.Split('\n'), maxNorm, cancellation), equivalenceKey: nameof(AddGradientClippingCodeFix)),
                        diagnostic);
                }
            }
        }

        /// <summary>The statement the clip goes before (the step's) or after (the closure's backward, the additional location).</summary>
        private static (StatementSyntax Statement, bool After)? Anchor(SyntaxNode root, Diagnostic diagnostic)
        {
            var after = diagnostic.AdditionalLocations.Count > 0;
            var location = after ? diagnostic.AdditionalLocations[0] : diagnostic.Location;
            return root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<StatementSyntax>() is { } statement
                ? (statement, after)
                : null;
        }

        private static async Task<Document> ClipAsync(Document document, (StatementSyntax Statement, bool After) anchor, IEnumerable<string> models, string maxNorm, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var torch = TorchNames.TorchAt(editor.SemanticModel, anchor.Statement.SpanStart);
            var clips = models
                .Select(model => SyntaxFactory.ParseStatement($"{torch}.nn.utils.clip_grad_norm_({model}.parameters(), {maxNorm});")
                    .WithTrailingTrivia(anchor.Statement.GetTrailingTrivia().Where(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia)))
                    .WithAdditionalAnnotations(Formatter.Annotation))
                .ToList();
            var statement = anchor.Statement;
            switch (statement.Parent)
            {
                case BlockSyntax or SwitchSectionSyntax when anchor.After:
                    editor.InsertAfter(statement, clips);
                    break;
                case BlockSyntax or SwitchSectionSyntax:
                    editor.InsertBefore(statement, clips);
                    break;
                case GlobalStatementSyntax global when anchor.After:
                    editor.InsertAfter(global, clips.Select(SyntaxFactory.GlobalStatement));
                    break;
                case GlobalStatementSyntax global:
                    editor.InsertBefore(global, clips.Select(SyntaxFactory.GlobalStatement));
                    break;
                default:
                    // An embedded statement (an if or loop body without braces) becomes a block that holds the clip too.
                    var body = anchor.After ? clips.Prepend(statement) : clips.Append(statement);
                    editor.ReplaceNode(statement, SyntaxFactory.Block(body).WithAdditionalAnnotations(Formatter.Annotation));
                    break;
            }

            return editor.GetChangedDocument();
        }
    }
}
