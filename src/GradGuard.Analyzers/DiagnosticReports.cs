using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// The diagnostics of a compilation, found once when the first file asks for its own, grouped by the file they
    /// lie in: each is reported once (a layer built in a block that several networks share is one diagnostic, not
    /// one a network), by the action the driver runs on its file, and never in generated code. GradGuard leaves
    /// generated files to the driver, which calls its actions only for the others; members and types marked
    /// <c>[GeneratedCode]</c> are recognised here.
    /// </summary>
    /// <remarks>
    /// The driver can filter generated code itself, but it does so by listing every declaration of a file for
    /// <c>[GeneratedCode]</c> the first time a diagnostic is reported there: in a build of model files that is
    /// more than all of GradGuard's own analysis of them.
    /// </remarks>
    internal sealed class DiagnosticReports
    {
        private readonly object gate = new();
        private readonly Func<CancellationToken, IEnumerable<Diagnostic>> find;
        private readonly Lazy<INamedTypeSymbol?> generatedCodeAttribute;
        private readonly SemanticModels models;
        private Dictionary<SyntaxTree, List<Diagnostic>>? byFile;

        public DiagnosticReports(Compilation compilation, SemanticModels models, Func<CancellationToken, IEnumerable<Diagnostic>> find)
        {
            // Looked up only if a diagnostic lies in a declaration that can carry the attribute: a lookup by metadata name
            // searches every referenced assembly.
            generatedCodeAttribute = new Lazy<INamedTypeSymbol?>(() => compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute"));
            this.models = models;
            this.find = find;
        }

        /// <summary>Reports the diagnostics that lie in <paramref name="file"/>, finding the compilation's first if no file has yet.</summary>
        public void ReportIn(SyntaxTree file, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            if (!DiagnosticsByFile(cancellationToken).TryGetValue(file, out var diagnostics))
            {
                return;
            }

            foreach (var diagnostic in diagnostics)
            {
                if (!IsInGeneratedCodeDeclaration(diagnostic.Location, cancellationToken))
                {
                    report(diagnostic);
                }
            }
        }

        /// <summary>
        /// Found once: every file that asks before they are known helps find the networks (see
        /// <see cref="CompilationNetworks"/>), and the first to have them runs the rules. A search that is cancelled
        /// leaves what it found for the next file.
        /// </summary>
        private Dictionary<SyntaxTree, List<Diagnostic>> DiagnosticsByFile(CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref byFile) is { } known)
            {
                return known;
            }

            var diagnostics = find(cancellationToken);
            lock (gate)
            {
                return byFile ??= ByFile(diagnostics);
            }
        }

        private static Dictionary<SyntaxTree, List<Diagnostic>> ByFile(IEnumerable<Diagnostic> diagnostics)
        {
            var found = new Dictionary<SyntaxTree, List<Diagnostic>>();
            var reported = new Dictionary<string, HashSet<Location>>(StringComparer.Ordinal);
            foreach (var diagnostic in diagnostics)
            {
                if (!reported.TryGetValue(diagnostic.Id, out var locations))
                {
                    reported[diagnostic.Id] = locations = new HashSet<Location>();
                }

                if (diagnostic.Location.SourceTree is { } tree && locations.Add(diagnostic.Location))
                {
                    if (!found.TryGetValue(tree, out var inFile))
                    {
                        found[tree] = inFile = new List<Diagnostic>();
                    }

                    inFile.Add(diagnostic);
                }
            }

            return found;
        }

        private bool IsInGeneratedCodeDeclaration(Location location, CancellationToken cancellationToken)
        {
            if (models.For(location.SourceTree!) is not { } model)
            {
                return false;
            }

            var node = location.SourceTree!.GetRoot(cancellationToken).FindNode(location.SourceSpan);
            return node.AncestorsAndSelf()
                .Where(MayBeMarked)
                .Select(declaration => model.GetDeclaredSymbol(declaration, cancellationToken))
                .Any(symbol => symbol?.GetAttributes().Any(attribute => attribute.AttributeClass is { } type && SymbolEqualityComparer.Default.Equals(type, generatedCodeAttribute.Value)) == true);
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
