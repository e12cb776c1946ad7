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
    /// Reports each diagnostic of a compilation once (a layer built in a helper that several networks share is one
    /// diagnostic, not one a network), and never in generated code. GradGuard leaves generated files to the driver,
    /// which calls its actions only for the others; a diagnostic that lies in a file not analysed yet (a block or a
    /// helper from another file) waits for that file's analysis, and is dropped with the file if the driver never
    /// analyses it. Members and types marked <c>[GeneratedCode]</c> are recognised here.
    /// </summary>
    /// <remarks>
    /// The driver can filter generated code itself, but it does so by listing every declaration of a file for
    /// <c>[GeneratedCode]</c> the first time a diagnostic is reported there: in a build of model files that is
    /// more than all of GradGuard's own analysis of them.
    /// </remarks>
    internal sealed class DiagnosticReports
    {
        private readonly Dictionary<string, HashSet<Location>> reportedLocationsById = new();
        private readonly HashSet<SyntaxTree> analysedFiles = new();
        private readonly Dictionary<SyntaxTree, List<Diagnostic>> waiting = new();
        private readonly INamedTypeSymbol? generatedCodeAttribute;
        private readonly SemanticModels models;

        public DiagnosticReports(Compilation compilation, SemanticModels models)
        {
            generatedCodeAttribute = compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute");
            this.models = models;
        }

        /// <summary>Notes that the driver analyses <paramref name="file"/>, and reports what waited for it.</summary>
        public void FileAnalysed(SyntaxTree file, Action<Diagnostic> report)
        {
            List<Diagnostic>? ready;
            lock (waiting)
            {
                analysedFiles.Add(file);
                if (waiting.TryGetValue(file, out ready))
                {
                    waiting.Remove(file);
                }
            }

            ready?.ForEach(report);
        }

        /// <summary>Reports a diagnostic found by an action the driver runs on <paramref name="analysedFile"/>.</summary>
        public void Report(Diagnostic diagnostic, SyntaxTree analysedFile, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            var file = diagnostic.Location.SourceTree;
            if (file is null
                || !IsFirstReport(diagnostic)
                || IsInGeneratedCodeDeclaration(diagnostic.Location, cancellationToken))
            {
                return;
            }

            if (file != analysedFile)
            {
                lock (waiting)
                {
                    if (!analysedFiles.Contains(file))
                    {
                        if (!waiting.TryGetValue(file, out var diagnostics))
                        {
                            waiting[file] = diagnostics = new List<Diagnostic>();
                        }

                        diagnostics.Add(diagnostic);
                        return;
                    }
                }
            }

            report(diagnostic);
        }

        private bool IsFirstReport(Diagnostic diagnostic)
        {
            // Collections of reference types only: their code is shared with the compiler's own, where a set keyed by
            // a tuple would be JIT-compiled afresh in every compiler process.
            lock (reportedLocationsById)
            {
                if (!reportedLocationsById.TryGetValue(diagnostic.Id, out var locations))
                {
                    reportedLocationsById[diagnostic.Id] = locations = new HashSet<Location>();
                }

                return locations.Add(diagnostic.Location);
            }
        }

        private bool IsInGeneratedCodeDeclaration(Location location, CancellationToken cancellationToken)
        {
            if (generatedCodeAttribute is null || models.For(location.SourceTree!) is not { } model)
            {
                return false;
            }

            var node = location.SourceTree!.GetRoot(cancellationToken).FindNode(location.SourceSpan);
            return node.AncestorsAndSelf()
                .Where(MayBeMarked)
                .Select(declaration => model.GetDeclaredSymbol(declaration, cancellationToken))
                .Any(symbol => symbol?.GetAttributes().Any(attribute => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, generatedCodeAttribute)) == true);
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
