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

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>
    /// GG0007 on a root module whose fields nothing registers: adds <c>RegisterComponents();</c> at the end of each of its
    /// constructors (those that chain to another with <c>: this(...)</c> get it through that one).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddRegisterComponentsCodeFix))]
    [Shared]
    public sealed class AddRegisterComponentsCodeFix : CodeFixProvider
    {
        private const string Title = "Call RegisterComponents() at the end of the constructor";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnregisteredModules);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                // The other GG0007 diagnostic sits on a field, and has its own fix.
                if (root?.FindNode(diagnostic.Location.SourceSpan) is ClassDeclarationSyntax declaration
                    && model?.GetDeclaredSymbol(declaration, context.CancellationToken) is { } type
                    && OwnRegistrationConstructors(type, root, context.CancellationToken) is { Count: > 0 } constructors)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            Title,
                            _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNodes(constructors, (_, constructor) => ConstructorEnd.Append(constructor, SyntaxFactory.ParseStatement("RegisterComponents();"))))),
                            equivalenceKey: nameof(AddRegisterComponentsCodeFix)),
                        diagnostic);
                }
            }
        }

        /// <summary>The class's constructors in this file, except those that chain to another with <c>: this(...)</c>.</summary>
        private static List<ConstructorDeclarationSyntax> OwnRegistrationConstructors(INamedTypeSymbol type, SyntaxNode root, CancellationToken cancellationToken) =>
            type.InstanceConstructors
                .SelectMany(constructor => constructor.DeclaringSyntaxReferences)
                .Where(reference => reference.SyntaxTree == root.SyntaxTree)
                .Select(reference => reference.GetSyntax(cancellationToken))
                .OfType<ConstructorDeclarationSyntax>()
                .Where(ConstructorEnd.RegistersItself)
                .ToList();
    }
}
