using System;
using System.Collections.Generic;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// The diagnostics of a compilation, found once when the first file asks for its own, grouped by the file they
    /// lie in: each is reported once (a layer built in a block that several networks share is one diagnostic, not
    /// one a network), by the action the driver runs on its file, and never in generated code (see
    /// <see cref="GeneratedCodeMarks"/>).
    /// </summary>
    internal sealed class DiagnosticReports
    {
        private readonly object gate = new();
        private readonly Func<CancellationToken, IEnumerable<Diagnostic>> find;
        private readonly GeneratedCodeMarks generatedCode;
        private readonly SemanticModels models;
        private Dictionary<SyntaxTree, List<Diagnostic>>? byFile;

        public DiagnosticReports(Compilation compilation, SemanticModels models, Func<CancellationToken, IEnumerable<Diagnostic>> find)
        {
            generatedCode = GeneratedCodeMarks.Of(compilation);
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

        private bool IsInGeneratedCodeDeclaration(Location location, CancellationToken cancellationToken) =>
            generatedCode.MayExist
            && models.For(location.SourceTree!) is { } model
            && generatedCode.Contain(location.SourceTree!.GetRoot(cancellationToken).FindNode(location.SourceSpan), model, cancellationToken);
    }
}
