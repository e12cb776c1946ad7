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
    /// moved into a local so its weight can be reached. A field initialiser runs before the constructor's body, so a
    /// layer a field is initialised with is initialised at the start of the constructor, and an initialiser that builds
    /// layers inline moves into the constructor, where they can be moved into locals.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddHeInitCodeFix))]
    [Shared]
    public sealed class AddHeInitCodeFix : CodeFixProvider
    {
        private const string Title = "Initialise with He (kaiming_normal_) for ReLU";

        /// <summary>The annotation that carries a moved statement's continuation-line indentation through formatting.</summary>
        private const string ContinuationIndentation = "GradGuard.ContinuationIndentation";

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
        /// The layer's construction, when it sits in a statement the init call can follow, in an expression-bodied
        /// method (given a block body first), or in a field initialiser whose constructor can take the init call.
        /// </summary>
        private static InvocationExpressionSyntax? FixableLayer(SyntaxNode root, Diagnostic diagnostic)
        {
            var creation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
            var home = creation?.FirstAncestorOrSelf<StatementSyntax>() ?? (creation is null ? null : ExpressionBodiedMember(creation) ?? InitialisedField(creation));
            if (creation is null || home is null)
            {
                return null;
            }

            // Hoisting a layer out of a lambda would build it once instead of on every call.
            var insideLambda = creation.Ancestors().TakeWhile(a => a != home).Any(a => a is AnonymousFunctionExpressionSyntax);
            // A field's layer needs a constructor to initialise it in; an initialiser moved there can move into one only.
            var constructors = home is FieldDeclarationSyntax field ? Constructors((TypeDeclarationSyntax)field.Parent!, field.Modifiers.Any(SyntaxKind.StaticKeyword)).Count() : 1;
            var noConstructor = constructors == 0 || (constructors > 1 && creation.Parent is not EqualsValueClauseSyntax);
            return insideLambda || noConstructor ? null : creation;
        }

        private static SyntaxNode? ExpressionBodiedMember(SyntaxNode node) =>
            node.FirstAncestorOrSelf<ArrowExpressionClauseSyntax>()?.Parent is { } member && member is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
                ? member
                : null;

        /// <summary>The field whose initialiser builds <paramref name="node"/>, in a class or struct whose constructors the fix can write to.</summary>
        private static FieldDeclarationSyntax? InitialisedField(SyntaxNode node) =>
            node.FirstAncestorOrSelf<EqualsValueClauseSyntax>()?.Parent?.Parent?.Parent is FieldDeclarationSyntax field
            && field.Parent is ClassDeclarationSyntax { ParameterList: null } or StructDeclarationSyntax { ParameterList: null }
            && !field.Modifiers.Any(SyntaxKind.ConstKeyword)
                ? field
                : null;

        /// <summary>The constructors that run a type's field initialisers: those that do not hand over to another with <c>this(...)</c>.</summary>
        private static IEnumerable<ConstructorDeclarationSyntax> Constructors(TypeDeclarationSyntax type, bool isStatic) =>
            type.Members.OfType<ConstructorDeclarationSyntax>().Where(constructor =>
                constructor.Modifiers.Any(SyntaxKind.StaticKeyword) == isStatic && constructor.Initializer?.ThisOrBaseKeyword.IsKind(SyntaxKind.ThisKeyword) != true);

        private static async Task<Document> AddInitAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var layers = diagnostics.Select(d => FixableLayer(root, d)).OfType<InvocationExpressionSyntax>().Distinct().OrderBy(c => c.SpanStart).ToList();
            var prepared = WithRoomForInits(root, layers, model);

            var editor = await DocumentEditor.CreateAsync(document.WithSyntaxRoot(prepared), cancellationToken).ConfigureAwait(false);
            var takenNames = new HashSet<string>();
            foreach (var layer in layers.Select(l => editor.OriginalRoot.GetCurrentNode(l)).OfType<InvocationExpressionSyntax>().Where(l => InitialisedField(l) is null))
            {
                AddInit(editor, layer, takenNames);
            }

            // The formatter places a moved statement's first line but not the lines it continues on, so those are put back after it.
            var formatted = await Formatter.FormatAsync(editor.GetChangedDocument(), Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            var formattedRoot = await formatted.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            return formattedRoot is null ? formatted : formatted.WithSyntaxRoot(WithContinuationLinesRestored(formattedRoot));
        }

        /// <summary>
        /// Makes a statement list for every layer's init call to go into: expression-bodied methods get block bodies,
        /// loop and <c>if</c> bodies without braces get braces, and fields hand their layers to their constructors
        /// (see <see cref="InitialiseInConstructors"/>). The layers stay tracked in the root returned.
        /// </summary>
        private static SyntaxNode WithRoomForInits(SyntaxNode root, IReadOnlyList<InvocationExpressionSyntax> layers, SemanticModel model)
        {
            var fieldLayers = layers.Where(l => InitialisedField(l) is not null).ToList();
            var statements = layers.Except(fieldLayers).Select(l => l.FirstAncestorOrSelf<StatementSyntax>()).ToList();
            var members = layers.Except(fieldLayers).Where(l => l.FirstAncestorOrSelf<StatementSyntax>() is null).Select(ExpressionBodiedMember).OfType<SyntaxNode>().Distinct().ToList();
            var embedded = statements.OfType<StatementSyntax>().Where(s => s.Parent is not (BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax)).Distinct().ToList();
            var types = fieldLayers.Select(l => (TypeDeclarationSyntax)InitialisedField(l)!.Parent!).Distinct().ToList();

            var tracked = root.TrackNodes(layers.Concat<SyntaxNode>(members).Concat(embedded).Concat(types));
            tracked = tracked.ReplaceNodes(members.Select(m => tracked.GetCurrentNode(m)!), (_, member) => WithBlockBody(member));
            tracked = tracked.ReplaceNodes(embedded.Select(s => tracked.GetCurrentNode(s)!), (_, statement) => SyntaxFactory.Block(statement).WithAdditionalAnnotations(Formatter.Annotation));
            foreach (var type in types)
            {
                var current = tracked.GetCurrentNode(type)!;
                tracked = tracked.ReplaceNode(current, InitialiseInConstructors(current, fieldLayers.Select(l => current.GetCurrentNode(l)).OfType<InvocationExpressionSyntax>(), TorchNames.TorchAt(model, type.SpanStart)));
            }

            return tracked;
        }

        /// <summary>
        /// Field initialisers run before a constructor's body, so the body can start with what the fields need: the init
        /// call of a layer a field is initialised with, or the assignment of an initialiser that builds layers inline,
        /// moved out of the field so that its layers can become locals.
        /// </summary>
        private static TypeDeclarationSyntax InitialiseInConstructors(TypeDeclarationSyntax type, IEnumerable<InvocationExpressionSyntax> layers, string torch)
        {
            var ownLayers = layers.Where(l => InitialisedField(l)?.Parent == type).ToList();
            var declarators = ownLayers.Select(l => l.FirstAncestorOrSelf<VariableDeclaratorSyntax>()!).Distinct().OrderBy(d => d.SpanStart).ToList();
            var moved = declarators.Where(d => !ownLayers.Any(l => l.Parent == d.Initializer)).ToList();
            var prologues = new Dictionary<ConstructorDeclarationSyntax, List<StatementSyntax>>();
            foreach (var group in declarators.GroupBy(d => ((FieldDeclarationSyntax)d.Parent!.Parent!).Modifiers.Any(SyntaxKind.StaticKeyword)))
            {
                foreach (var constructor in Constructors(type, group.Key))
                {
                    prologues[constructor] = group.Select(declarator => moved.Contains(declarator)
                            ? RememberingContinuationLines(
                                SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
                                    SyntaxKind.SimpleAssignmentExpression, Field(declarator, constructor, type), declarator.Initializer!.Value.WithoutLeadingTrivia())),
                                declarator.Initializer.Value,
                                declarator.Parent!.Parent!).WithAdditionalAnnotations(Formatter.Annotation)
                            : InitUnderNoGrad(torch, Field(declarator, constructor, type)))
                        .ToList();
                }
            }

            return type.ReplaceNodes(
                moved.Concat<SyntaxNode>(prologues.Keys),
                (original, current) => current is VariableDeclaratorSyntax declarator
                    ? declarator.WithInitializer(null).WithIdentifier(declarator.Identifier.WithoutTrivia())
                    : WithPrologue((ConstructorDeclarationSyntax)WithBlockBody(current), prologues[(ConstructorDeclarationSyntax)original]));
        }

        /// <summary>The field, named as the start of <paramref name="constructor"/> sees it: qualified where a parameter or local of the same name hides it.</summary>
        private static ExpressionSyntax Field(VariableDeclaratorSyntax field, ConstructorDeclarationSyntax constructor, TypeDeclarationSyntax type)
        {
            var name = field.Identifier.ValueText;
            var hidden = constructor.ParameterList.Parameters.Any(p => p.Identifier.ValueText == name)
                || constructor.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(local => local.Identifier.ValueText == name);
            if (!hidden)
            {
                return SyntaxFactory.IdentifierName(name);
            }

            ExpressionSyntax owner = constructor.Modifiers.Any(SyntaxKind.StaticKeyword) ? SyntaxFactory.IdentifierName(type.Identifier.ValueText) : SyntaxFactory.ThisExpression();
            return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, owner, SyntaxFactory.IdentifierName(name));
        }

        private static ConstructorDeclarationSyntax WithPrologue(ConstructorDeclarationSyntax constructor, IEnumerable<StatementSyntax> prologue) =>
            constructor.WithBody(constructor.Body!.WithStatements(constructor.Body.Statements.InsertRange(0, prologue)));

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

            var expression = body.Expression.WithoutLeadingTrivia();
            var returnsValue = returnType is not null and not PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword };
            StatementSyntax statement = returnsValue ? SyntaxFactory.ReturnStatement(expression) : SyntaxFactory.ExpressionStatement(expression);
            var block = SyntaxFactory.Block(RememberingContinuationLines(statement, body.Expression, member)).WithAdditionalAnnotations(Formatter.Annotation);
            return member switch
            {
                LocalFunctionStatementSyntax function => function.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
                BaseMethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block),
                _ => member,
            };
        }

        /// <summary>
        /// Marks <paramref name="statement"/>, made from <paramref name="expression"/> that stood on <paramref name="anchor"/>'s
        /// line, with how far each line the expression continues on was indented beyond that line, so that
        /// <see cref="WithContinuationLinesRestored"/> can indent them as far beyond the statement wherever it lands.
        /// </summary>
        private static TStatement RememberingContinuationLines<TStatement>(TStatement statement, ExpressionSyntax expression, SyntaxNode anchor)
            where TStatement : StatementSyntax
        {
            var anchorIndentation = Indentation(LineLeadingTrivia(anchor.GetFirstToken()));
            var beyond = ContinuationLines(expression).Select(token => Indentation(LineLeadingTrivia(token))).Select(indentation =>
                indentation.StartsWith(anchorIndentation, System.StringComparison.Ordinal) ? indentation.Substring(anchorIndentation.Length) : indentation);
            return statement.WithAdditionalAnnotations(new SyntaxAnnotation(ContinuationIndentation, string.Join("\n", beyond)));
        }

        /// <summary>Indents the continuation lines of every statement <see cref="RememberingContinuationLines"/> marked, relative to where the statement now starts.</summary>
        private static SyntaxNode WithContinuationLinesRestored(SyntaxNode root) =>
            root.ReplaceNodes(root.GetAnnotatedNodes(ContinuationIndentation), (_, statement) =>
            {
                var beyond = statement.GetAnnotations(ContinuationIndentation).Single().Data!.Split('\n');
                var lines = ContinuationLines(statement).ToList();
                var indentation = Indentation(LineLeadingTrivia(statement.GetFirstToken()));
                return lines.Count != beyond.Length
                    ? statement
                    : statement.ReplaceTokens(lines, (original, _) => original.WithLeadingTrivia(Reindented(original.LeadingTrivia, indentation + beyond[lines.IndexOf(original)])));
            });

        /// <summary>The tokens after the first that begin a line of <paramref name="node"/>.</summary>
        private static IEnumerable<SyntaxToken> ContinuationLines(SyntaxNode node)
        {
            var first = node.GetFirstToken();
            return node.DescendantTokens().Where(token => token != first &&
                (token.LeadingTrivia.Any(SyntaxKind.EndOfLineTrivia) || token.GetPreviousToken().TrailingTrivia.Any(SyntaxKind.EndOfLineTrivia)));
        }

        /// <summary>The part of a token's leading trivia on its own line: what follows the last line break.</summary>
        private static SyntaxTriviaList LineLeadingTrivia(SyntaxToken token)
        {
            var leading = token.LeadingTrivia;
            var lineBreak = leading.LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            return lineBreak == default ? leading : SyntaxFactory.TriviaList(leading.Skip(leading.IndexOf(lineBreak) + 1));
        }

        private static string Indentation(SyntaxTriviaList lineLeadingTrivia) =>
            lineLeadingTrivia.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).ToString();

        private static SyntaxTriviaList Reindented(SyntaxTriviaList leading, string indentation)
        {
            var lineStart = leading.Any(SyntaxKind.EndOfLineTrivia) ? leading.IndexOf(leading.Last(t => t.IsKind(SyntaxKind.EndOfLineTrivia))) + 1 : 0;
            return lineStart < leading.Count && leading[lineStart].IsKind(SyntaxKind.WhitespaceTrivia)
                ? leading.Replace(leading[lineStart], SyntaxFactory.Whitespace(indentation))
                : leading.Insert(lineStart, SyntaxFactory.Whitespace(indentation));
        }

        private static void AddInit(DocumentEditor editor, InvocationExpressionSyntax layer, HashSet<string> takenNames)
        {
            var statement = layer.FirstAncestorOrSelf<StatementSyntax>()!;
            var torch = TorchNames.TorchAt(editor.SemanticModel, statement.SpanStart);
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
            // WithRoomForInits has put every statement in a block, a switch section or the top level.
            var inserted = before.ToList();
            if (statement.Parent is GlobalStatementSyntax global)
            {
                InsertStatements(editor, global, inserted.Select(SyntaxFactory.GlobalStatement).ToList(), after is null ? null : SyntaxFactory.GlobalStatement(after));
            }
            else
            {
                InsertStatements(editor, statement, inserted, after);
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
