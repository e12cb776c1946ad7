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
    /// GG0002: adds <c>init.kaiming_normal_(layer.weight, nonlinearity: ReLU)</c> under <c>torch.no_grad()</c> right
    /// where the layer is built. A layer built inline (inside <c>Sequential(...)</c> or <c>list.Add(...)</c>) is first
    /// moved into a local so its weight can be reached.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddHeInitCodeFix))]
    [Shared]
    public sealed class AddHeInitCodeFix : CodeFixProvider
    {
        private const string Title = "Initialise with He (kaiming_normal_) for ReLU";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.ReluWithoutHeInit);

        public override FixAllProvider GetFixAllProvider() => new FixAll();

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                if (root is not null && FixableLayer(root, diagnostic) is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(Title, cancellation => AddInitAsync(context.Document, new[] { diagnostic }, cancellation), equivalenceKey: RuleIds.ReluWithoutHeInit),
                        diagnostic);
                }
            }
        }

        /// <summary>
        /// The layer's construction, when it sits in a statement the init call can follow or in an expression-bodied
        /// method, which is given a block body first.
        /// </summary>
        private static InvocationExpressionSyntax? FixableLayer(SyntaxNode root, Diagnostic diagnostic)
        {
            var creation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
            var home = creation?.FirstAncestorOrSelf<StatementSyntax>() ?? (creation is null ? null : ExpressionBodiedMember(creation));
            if (creation is null || home is null)
            {
                return null;
            }

            // Hoisting a layer out of a lambda would build it once instead of on every call.
            var insideLambda = creation.Ancestors().TakeWhile(a => a != home).Any(a => a is AnonymousFunctionExpressionSyntax);
            return insideLambda ? null : creation;
        }

        private static SyntaxNode? ExpressionBodiedMember(SyntaxNode node) =>
            node.FirstAncestorOrSelf<ArrowExpressionClauseSyntax>()?.Parent is { } member && member is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
                ? member
                : null;

        private static async Task<Document> AddInitAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            var layers = diagnostics.Select(d => FixableLayer(root, d)).OfType<InvocationExpressionSyntax>().Distinct().OrderBy(c => c.SpanStart).ToList();
            var members = layers.Where(l => l.FirstAncestorOrSelf<StatementSyntax>() is null).Select(ExpressionBodiedMember).OfType<SyntaxNode>().Distinct().ToList();
            var tracked = root.TrackNodes(layers.Concat(members));
            tracked = tracked.ReplaceNodes(members.Select(m => tracked.GetCurrentNode(m)!), (_, member) => WithBlockBody(member));

            var editor = await DocumentEditor.CreateAsync(document.WithSyntaxRoot(tracked), cancellationToken).ConfigureAwait(false);
            var takenNames = new HashSet<string>();
            foreach (var layer in layers.Select(l => editor.OriginalRoot.GetCurrentNode(l)).OfType<InvocationExpressionSyntax>())
            {
                AddInit(editor, layer, takenNames);
            }

            return editor.GetChangedDocument();
        }

        /// <summary><c>M() => expr;</c> becomes <c>M() { return expr; }</c>, or <c>{ expr; }</c> when it returns nothing.</summary>
        private static SyntaxNode WithBlockBody(SyntaxNode member)
        {
            var (body, returnType) = member switch
            {
                MethodDeclarationSyntax method => (method.ExpressionBody, method.ReturnType),
                LocalFunctionStatementSyntax function => (function.ExpressionBody, function.ReturnType),
                BaseMethodDeclarationSyntax other => (other.ExpressionBody, null),
                _ => (null, (TypeSyntax?)null),
            };
            if (body is null)
            {
                return member;
            }

            var returnsValue = returnType is not null and not PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword };
            StatementSyntax statement = returnsValue ? SyntaxFactory.ReturnStatement(body.Expression) : SyntaxFactory.ExpressionStatement(body.Expression);
            var block = SyntaxFactory.Block(statement).WithAdditionalAnnotations(Formatter.Annotation);
            return member switch
            {
                LocalFunctionStatementSyntax function => function.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
                BaseMethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
                _ => member,
            };
        }

        private static void AddInit(DocumentEditor editor, InvocationExpressionSyntax layer, HashSet<string> takenNames)
        {
            var statement = layer.FirstAncestorOrSelf<StatementSyntax>()!;
            var torch = TorchName(editor.SemanticModel, statement.SpanStart);
            if (layer.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } && statement is LocalDeclarationStatementSyntax)
            {
                InsertAround(editor, statement, before: Enumerable.Empty<StatementSyntax>(), after: InitUnderNoGrad(torch, SyntaxFactory.IdentifierName(declarator.Identifier.ValueText)));
                return;
            }

            if (layer.Parent is AssignmentExpressionSyntax { Left: var assigned } assignment && assignment.Right == layer && assignment.Parent is ExpressionStatementSyntax)
            {
                InsertAround(editor, statement, before: Enumerable.Empty<StatementSyntax>(), after: InitUnderNoGrad(torch, assigned.WithoutTrivia()));
                return;
            }

            var name = FreshLocalName(editor.SemanticModel, layer, statement, takenNames);
            var local = SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(layer.WithoutTrivia())))))
                .WithAdditionalAnnotations(Formatter.Annotation);
            editor.ReplaceNode(layer, SyntaxFactory.IdentifierName(name).WithTriviaFrom(layer));
            InsertAround(editor, statement, before: new StatementSyntax[] { local, InitUnderNoGrad(torch, SyntaxFactory.IdentifierName(name)) }, after: null);
        }

        private static void InsertAround(DocumentEditor editor, StatementSyntax statement, IEnumerable<StatementSyntax> before, StatementSyntax? after)
        {
            var inserted = before.ToList();
            switch (statement.Parent)
            {
                case BlockSyntax or SwitchSectionSyntax:
                    InsertStatements(editor, statement, inserted, after);
                    break;
                case GlobalStatementSyntax global:
                    InsertStatements(editor, global, inserted.Select(SyntaxFactory.GlobalStatement).ToList(), after is null ? null : SyntaxFactory.GlobalStatement(after));
                    break;
                default:
                    // An embedded statement (a loop body without braces) becomes a block holding the new statements.
                    editor.ReplaceNode(statement, (current, _) => SyntaxFactory.Block(inserted.Append((StatementSyntax)current).Concat(after is null ? Enumerable.Empty<StatementSyntax>() : new[] { after }))
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    break;
            }
        }

        private static void InsertStatements<TNode>(DocumentEditor editor, SyntaxNode anchor, List<TNode> before, TNode? after)
            where TNode : SyntaxNode
        {
            if (before.Count > 0)
            {
                editor.InsertBefore(anchor, before);
            }

            if (after is not null)
            {
                editor.InsertAfter(anchor, after);
            }
        }

        /// <summary><c>using (torch.no_grad()) { torch.nn.init.kaiming_normal_(layer.weight, nonlinearity: ReLU); }</c>.</summary>
        private static StatementSyntax InitUnderNoGrad(string torch, ExpressionSyntax layer)
        {
            var init = SyntaxFactory.ParseExpression($"{torch}.nn.init.kaiming_normal_(LAYER.weight, nonlinearity: {torch}.nn.init.NonlinearityType.ReLU)");
            init = init.ReplaceNode(init.DescendantNodes().OfType<IdentifierNameSyntax>().Single(n => n.Identifier.ValueText == "LAYER"), layer);
            return SyntaxFactory.UsingStatement(
                    declaration: null,
                    expression: SyntaxFactory.ParseExpression($"{torch}.no_grad()"),
                    statement: SyntaxFactory.Block(SyntaxFactory.ExpressionStatement(init)))
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        /// <summary>The shortest way to name <c>TorchSharp.torch</c> that binds at the statement, given the file's usings.</summary>
        private static string TorchName(SemanticModel model, int position)
        {
            var torch = model.Compilation.GetTypeByMetadataName("TorchSharp.torch");
            return new[] { "torch", "TorchSharp.torch" }.FirstOrDefault(candidate =>
                SymbolEqualityComparer.Default.Equals(
                    model.GetSpeculativeSymbolInfo(position, SyntaxFactory.ParseExpression(candidate), SpeculativeBindingOption.BindAsExpression).Symbol,
                    torch)) ?? "global::TorchSharp.torch";
        }

        private static string FreshLocalName(SemanticModel model, InvocationExpressionSyntax layer, StatementSyntax statement, HashSet<string> takenNames)
        {
            var method = model.GetSymbolInfo(layer).Symbol?.Name ?? "layer";
            var stem = char.ToLowerInvariant(method[0]) + method.Substring(1);
            var visible = new HashSet<string>(model.LookupSymbols(statement.SpanStart).Select(s => s.Name));
            var declaredNearby = (statement.Parent ?? statement).DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText);
            visible.UnionWith(declaredNearby);
            var candidate = stem;
            for (var suffix = 2; visible.Contains(candidate) || takenNames.Contains(candidate) || SyntaxFacts.GetKeywordKind(candidate) != SyntaxKind.None; suffix++)
            {
                candidate = stem + suffix;
            }

            takenNames.Add(candidate);
            return candidate;
        }

        /// <summary>Fixes every layer of a document in one edit, so insertions next to the same statement do not collide.</summary>
        private sealed class FixAll : DocumentBasedFixAllProvider
        {
            protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics) =>
                await AddInitAsync(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
        }
    }
}
