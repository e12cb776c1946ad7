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
using Microsoft.CodeAnalysis.Simplification;

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>
    /// GG0007 on a <c>List&lt;&gt;</c>, array or <c>Dictionary&lt;string, &gt;</c> of modules or parameters: the field becomes
    /// the TorchSharp container that registers what it holds (<c>ModuleList&lt;T&gt;</c>, <c>ModuleDict&lt;T&gt;</c>,
    /// <c>ParameterList</c>, <c>ParameterDict</c>), with the collections assigned to it and an array's <c>Length</c>
    /// rewritten. A class that registers its fields one by one instead of through <c>RegisterComponents()</c> also gets a
    /// <c>register_module</c> call for the field. The fix is offered only when the result compiles as well as the code did.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseModuleContainerCodeFix))]
    [Shared]
    public sealed class UseModuleContainerCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnregisteredModules);

        public override FixAllProvider GetFixAllProvider() => new FixAll();

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                if (!diagnostic.Properties.TryGetValue(UnregisteredModulesAnalyzer.ContainerProperty, out var container) || container is null)
                {
                    continue;
                }

                var fixedDocument = await FixAsync(context.Document, new[] { diagnostic.Location.SourceSpan }, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null && !await IntroducesErrorsAsync(context.Document, fixedDocument, context.CancellationToken).ConfigureAwait(false))
                {
                    var kind = container.Substring(0, container.IndexOf('<') is var bracket and >= 0 ? bracket : container.Length);
                    context.RegisterCodeFix(
                        CodeAction.Create($"Keep them in a {kind}, which registers them", _ => Task.FromResult(fixedDocument), equivalenceKey: nameof(UseModuleContainerCodeFix)),
                        diagnostic);
                }
            }
        }

        /// <summary>Rewrites the fields at <paramref name="fieldSpans"/> one after the other; null when one of them cannot be.</summary>
        private static async Task<Document?> FixAsync(Document document, IEnumerable<Microsoft.CodeAnalysis.Text.TextSpan> fieldSpans, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return null;
            }

            var marker = new SyntaxAnnotation();
            var fields = fieldSpans.Select(span => root.FindNode(span)).Where(node => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax).ToList();
            document = document.WithSyntaxRoot(root.ReplaceNodes(fields, (_, field) => field.WithAdditionalAnnotations(marker)));
            for (int index = 0; index < fields.Count; index++)
            {
                var current = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                var field = current!.GetAnnotatedNodes(marker).ElementAt(index);
                var rewritten = await FieldRewrite.ApplyAsync(document, field, cancellationToken).ConfigureAwait(false);
                if (rewritten is null)
                {
                    return null;
                }

                document = rewritten;
            }

            // The container is written fully qualified: the using goes in, then the name is shortened.
            document = await ImportAdder.AddImportsAsync(document, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Formatter.FormatAsync(document, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        private static async Task<bool> IntroducesErrorsAsync(Document before, Document after, CancellationToken cancellationToken)
        {
            var errorsBefore = await ErrorCountAsync(before, cancellationToken).ConfigureAwait(false);
            var errorsAfter = await ErrorCountAsync(after, cancellationToken).ConfigureAwait(false);
            return errorsAfter > errorsBefore;
        }

        private static async Task<int> ErrorCountAsync(Document document, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            return model?.GetDiagnostics(cancellationToken: cancellationToken).Count(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error) ?? int.MaxValue;
        }

        /// <summary>The rewrite of one field: its type, the collections assigned to it, and what the new type spells differently.</summary>
        private sealed class FieldRewrite
        {
            private readonly SemanticModel model;
            private readonly ISymbol field;
            private readonly ITypeSymbol fieldType;
            private readonly TypeSyntax containerType;

            private FieldRewrite(SemanticModel model, ISymbol field, ITypeSymbol fieldType, TypeSyntax containerType)
            {
                this.model = model;
                this.field = field;
                this.fieldType = fieldType;
                this.containerType = containerType;
            }

            public static async Task<Document?> ApplyAsync(Document document, SyntaxNode declaration, CancellationToken cancellationToken)
            {
                var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
                var (declaredType, symbol) = declaration switch
                {
                    VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } variables } => (variables.Type, model?.GetDeclaredSymbol(declaration, cancellationToken)),
                    PropertyDeclarationSyntax property => (property.Type, model?.GetDeclaredSymbol(declaration, cancellationToken)),
                    _ => (null, null),
                };
                var fieldType = symbol switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null };
                if (model is null || declaredType is null || symbol is null || fieldType is null || ElementTypeSyntax(declaredType) is not { } element
                    || ContainerFor(fieldType, element) is not { } container)
                {
                    return null;
                }

                var rewrite = new FieldRewrite(model, symbol, fieldType, container);
                var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                return rewrite.Edit(editor, declaredType, cancellationToken) ? editor.GetChangedDocument() : null;
            }

            private bool Edit(DocumentEditor editor, TypeSyntax declaredType, CancellationToken cancellationToken)
            {
                var classParts = field.ContainingType.DeclaringSyntaxReferences
                    .Where(reference => reference.SyntaxTree == model.SyntaxTree)
                    .Select(reference => reference.GetSyntax(cancellationToken))
                    .ToList();
                var nodes = classParts.SelectMany(part => part.DescendantNodes()).ToList();
                var values = nodes.OfType<AssignmentExpressionSyntax>()
                    .Where(assignment => RefersToField(assignment.Left, cancellationToken))
                    .Select(assignment => assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) ? assignment.Right : null)
                    .Concat(InitialValue())
                    .ToList();
                var replacements = values.Select(value => (Value: value, Replacement: value is null ? null : Replacement(value, cancellationToken))).ToList();
                if (replacements.Any(pair => pair.Replacement is null))
                {
                    return false;
                }

                editor.ReplaceNode(declaredType, Qualified(declaredType is NullableTypeSyntax ? SyntaxFactory.NullableType(containerType) : containerType).WithTriviaFrom(declaredType));
                foreach (var (value, replacement) in replacements)
                {
                    if (replacement != value)
                    {
                        editor.ReplaceNode(value!, replacement!.WithTriviaFrom(value!));
                    }
                }

                if (fieldType is IArrayTypeSymbol)
                {
                    foreach (var length in nodes.OfType<MemberAccessExpressionSyntax>().Where(access => access.Name.Identifier.ValueText == "Length" && RefersToField(access.Expression, cancellationToken)))
                    {
                        editor.ReplaceNode(length.Name, SyntaxFactory.IdentifierName("Count").WithTriviaFrom(length.Name));
                    }
                }

                if (!nodes.OfType<InvocationExpressionSyntax>().Any(call => call.Expression is IdentifierNameSyntax { Identifier.ValueText: "RegisterComponents" }
                    or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or BaseExpressionSyntax, Name.Identifier.ValueText: "RegisterComponents" }))
                {
                    RegisterInConstructors(editor, classParts, cancellationToken);
                }

                return true;
            }

            private IEnumerable<ExpressionSyntax?> InitialValue() =>
                field.DeclaringSyntaxReferences
                    .Where(reference => reference.SyntaxTree == model.SyntaxTree)
                    .Select(reference => reference.GetSyntax() switch
                    {
                        VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                        PropertyDeclarationSyntax property => property.Initializer?.Value,
                        _ => null,
                    })
                    .Where(value => value is not null);

            /// <summary>A class that registers its fields by hand registers the new container the same way.</summary>
            private void RegisterInConstructors(DocumentEditor editor, List<SyntaxNode> classParts, CancellationToken cancellationToken)
            {
                var register = SyntaxFactory.ParseStatement($"register_module(\"{field.Name}\", {field.Name});");
                foreach (var constructor in classParts.SelectMany(part => part.ChildNodes()).OfType<ConstructorDeclarationSyntax>().Where(ConstructorEnd.RegistersItself))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    editor.ReplaceNode(constructor, (current, _) => ConstructorEnd.Append((ConstructorDeclarationSyntax)current, register));
                }
            }

            /// <summary>What the container is built from where the collection was; null when that cannot be said.</summary>
            private ExpressionSyntax? Replacement(ExpressionSyntax value, CancellationToken cancellationToken)
            {
                switch (value)
                {
                    case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.NullLiteralExpression):
                    case CollectionExpressionSyntax:
                        return value;
                    case ImplicitObjectCreationExpressionSyntax implicitCreation when OnlyCapacity(implicitCreation.ArgumentList, cancellationToken):
                        return implicitCreation.WithArgumentList(SyntaxFactory.ArgumentList());
                    case ObjectCreationExpressionSyntax creation when OnlyCapacity(creation.ArgumentList, cancellationToken):
                        return SyntaxFactory.ObjectCreationExpression(Qualified(containerType), SyntaxFactory.ArgumentList(), creation.Initializer);
                    case ArrayCreationExpressionSyntax { Initializer: { } elements }:
                        return Construct(elements.Expressions.Select(SyntaxFactory.Argument));
                    case ImplicitArrayCreationExpressionSyntax { Initializer: var elements }:
                        return Construct(elements.Expressions.Select(SyntaxFactory.Argument));
                    case ArrayCreationExpressionSyntax or BaseObjectCreationExpressionSyntax:
                        return null;
                }

                // An array or list computed elsewhere: the container takes the array its params constructor asks for.
                return model.GetTypeInfo(value, cancellationToken).Type switch
                {
                    IArrayTypeSymbol => Construct(new[] { SyntaxFactory.Argument(value.WithoutTrivia()) }),
                    INamedTypeSymbol { Name: "List" } when fieldType is not INamedTypeSymbol { Name: "Dictionary" } =>
                        Construct(new[] { SyntaxFactory.Argument(SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Parenthesized(value), SyntaxFactory.IdentifierName("ToArray")))) }),
                    _ => null,
                };
            }

            /// <summary>No arguments, or only a capacity, which the containers do not take.</summary>
            private bool OnlyCapacity(ArgumentListSyntax? arguments, CancellationToken cancellationToken) =>
                arguments is null
                || arguments.Arguments.Count == 0
                || (arguments.Arguments.Count == 1 && model.GetTypeInfo(arguments.Arguments[0].Expression, cancellationToken).Type?.SpecialType == SpecialType.System_Int32);

            private ObjectCreationExpressionSyntax Construct(IEnumerable<ArgumentSyntax> arguments) =>
                SyntaxFactory.ObjectCreationExpression(Qualified(containerType), SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments.Select(argument => argument.WithoutTrivia()))), null);

            private bool RefersToField(ExpressionSyntax expression, CancellationToken cancellationToken) =>
                expression is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(expression, cancellationToken).Symbol, field);

            private static ExpressionSyntax Parenthesized(ExpressionSyntax value) =>
                value is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax ? value.WithoutTrivia() : SyntaxFactory.ParenthesizedExpression(value.WithoutTrivia());

            /// <summary>The element type as the declaration spells it: <c>T</c> of <c>T[]</c>, <c>List&lt;T&gt;</c>, <c>Dictionary&lt;string, T&gt;</c>.</summary>
            private static TypeSyntax? ElementTypeSyntax(TypeSyntax declared) => declared switch
            {
                NullableTypeSyntax nullable => ElementTypeSyntax(nullable.ElementType),
                ArrayTypeSyntax array => array.ElementType,
                QualifiedNameSyntax qualified => ElementTypeSyntax(qualified.Right),
                AliasQualifiedNameSyntax alias => ElementTypeSyntax(alias.Name),
                GenericNameSyntax generic => generic.TypeArgumentList.Arguments.Last(),
                _ => null,
            };

            private static TypeSyntax? ContainerFor(ITypeSymbol fieldType, TypeSyntax element)
            {
                var isDictionary = fieldType is INamedTypeSymbol { Name: "Dictionary" };
                var holdsParameters = (fieldType switch
                {
                    IArrayTypeSymbol array => array.ElementType,
                    INamedTypeSymbol named => named.TypeArguments.LastOrDefault(),
                    _ => null,
                })?.Name == "Parameter";
                var name = (isDictionary, holdsParameters) switch
                {
                    (false, false) => "ModuleList",
                    (true, false) => "ModuleDict",
                    (false, true) => "ParameterList",
                    (true, true) => "ParameterDict",
                };
                return holdsParameters
                    ? SyntaxFactory.IdentifierName(name)
                    : SyntaxFactory.GenericName(SyntaxFactory.Identifier(name), SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(element.WithoutTrivia())));
            }

            /// <summary><c>global::TorchSharp.Modules.X</c>, left to the simplifier, which adds the using where it is missing.</summary>
            private static TypeSyntax Qualified(TypeSyntax container) => container switch
            {
                NullableTypeSyntax nullable => SyntaxFactory.NullableType(Qualified(nullable.ElementType)),
                SimpleNameSyntax name => SyntaxFactory.QualifiedName(
                        SyntaxFactory.QualifiedName(
                            SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("TorchSharp")),
                            SyntaxFactory.IdentifierName("Modules")),
                        name)
                    .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                _ => container,
            };
        }

        /// <summary>Fixes every flagged field of a document in one pass, each on the result of the one before.</summary>
        private sealed class FixAll : DocumentBasedFixAllProvider
        {
            protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics) =>
                await FixAsync(
                        document,
                        diagnostics.Where(diagnostic => diagnostic.Properties.ContainsKey(UnregisteredModulesAnalyzer.ContainerProperty)).Select(diagnostic => diagnostic.Location.SourceSpan),
                        fixAllContext.CancellationToken)
                    .ConfigureAwait(false)
                ?? document;
        }
    }
}
