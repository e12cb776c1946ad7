using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// Declarations marked <c>[GeneratedCode]</c> in a compilation, where GradGuard reports nothing. GradGuard leaves
    /// generated files to the driver, which calls its actions only for the others; marked members and types inside
    /// hand-written files are recognised here.
    /// </summary>
    /// <remarks>
    /// The driver can filter generated code itself, but it does so by listing every declaration of a file for
    /// <c>[GeneratedCode]</c> the first time a diagnostic is reported there: in a build of model files that is more than
    /// all of GradGuard's own analysis of them. Here the compilation's text is searched once for the attribute's name (it is
    /// sealed, so every use names it, through an alias at most), and most compilations need no more than that.
    /// </remarks>
    internal sealed class GeneratedCodeMarks
    {
        // One per compilation, shared by every analyzer that reports: the text search and the attribute's lookup are made
        // once, not once per analyzer. Keyed weakly, as the IDE makes a new compilation at every edit.
        private static readonly ConditionalWeakTable<Compilation, GeneratedCodeMarks> ByCompilation = new();

        private readonly Compilation compilation;
        private readonly Lazy<bool> anyMentioned;
        private readonly Lazy<INamedTypeSymbol?> attribute;

        private GeneratedCodeMarks(Compilation compilation)
        {
            this.compilation = compilation;
            anyMentioned = new Lazy<bool>(MentionedInSource);

            // Looked up only where a declaration may carry the attribute: a lookup by metadata name searches every
            // referenced assembly, and binds them all if the compiler has not yet.
            attribute = new Lazy<INamedTypeSymbol?>(() => compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute"));
        }

        public static GeneratedCodeMarks Of(Compilation compilation) => ByCompilation.GetValue(compilation, unseen => new GeneratedCodeMarks(unseen));

        /// <summary>Whether any source file names the attribute: when none does, nothing is marked and no node need be found.</summary>
        public bool MayExist => anyMentioned.Value;

        /// <summary>Whether <paramref name="node"/> lies in a declaration marked <c>[GeneratedCode]</c>, itself included.</summary>
        public bool Contain(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
        {
            if (!MayExist)
            {
                return false;
            }

            for (var current = node; current is not null; current = current.Parent)
            {
                if (MayBeMarked(current) && IsMarked(model.GetDeclaredSymbol(current, cancellationToken)))
                {
                    return true;
                }
            }

            return false;
        }

        private bool MentionedInSource()
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (SourceTexts.Of(tree, CancellationToken.None).IndexOf("GeneratedCode", StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsMarked(ISymbol? symbol)
        {
            if (symbol is null || attribute.Value is not { } generatedCode)
            {
                return false;
            }

            foreach (var applied in symbol.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(applied.AttributeClass, generatedCode))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A declaration that can carry <c>[GeneratedCode]</c>: one with attributes of its own, or a part of a partial
        /// type or method, whose other parts may have them. Only those are asked for their symbol, which for a member
        /// means a search of its type's members.
        /// </summary>
        private static bool MayBeMarked(SyntaxNode node) => node switch
        {
            BaseTypeDeclarationSyntax or BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax => HasAttributesOrIsPartial((MemberDeclarationSyntax)node),
            VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax field } => field.AttributeLists.Count > 0,
            _ => false,
        };

        private static bool HasAttributesOrIsPartial(MemberDeclarationSyntax member) =>
            member.AttributeLists.Count > 0 || member.Modifiers.Any(SyntaxKind.PartialKeyword);
    }
}
