using System;
using System.Collections.Generic;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// An analyzer of GradGuard's that reads TorchSharp code apart from the network model: it starts only in compilations
    /// that reference TorchSharp, and never looks at generated code.
    /// </summary>
    /// <remarks>
    /// Generated code is kept out as <see cref="GradientFlowAnalyzer"/> keeps it out: the driver does not run the actions on
    /// generated files, and declarations marked <c>[GeneratedCode]</c> are skipped here, so the driver needs no filter of its
    /// own on reports (one that scans a file's declarations on its first report). One setting for all of GradGuard's
    /// analyzers also lets the callback timing harness run them as one.
    /// </remarks>
    public abstract class TorchSharpAnalyzer : DiagnosticAnalyzer
    {
        public sealed override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                // The start action runs before the compiler has bound the references, so TorchSharp's symbols are resolved
                // on first use, by the first action that needs them: resolving them here would bind every reference on
                // GradGuard's thread, work the compiler does anyway a moment later (about a seventh of these analyzers' time in a
                // warm compiler server). A look at the references' file names binds nothing.
                if (TorchSymbols.IsReferenced(start.Compilation))
                {
                    var compilation = start.Compilation;
                    Start(start, new Lazy<TorchSymbols?>(() => TorchSymbols.Resolve(compilation)));
                }
            });
        }

        /// <summary>
        /// Registers the analyzer's actions for a compilation that references TorchSharp; each action reads the symbols
        /// from <paramref name="torch"/> and does nothing when TorchSharp's types are not there after all.
        /// </summary>
        private protected abstract void Start(CompilationStartAnalysisContext start, Lazy<TorchSymbols?> torch);

        /// <summary>
        /// Runs <paramref name="action"/> on every call in hand-written code of a method named one of <paramref name="names"/>:
        /// <c>m.forward(x)</c>, <c>m?.forward(x)</c>, <c>forward(x)</c>.
        /// </summary>
        /// <remarks>
        /// The calls are found by looking for the names in the file's text and asking the tree for the token at each hit,
        /// not by walking every node of the file, which costs more than everything else these analyzers do. It runs as a
        /// semantic-model action: in a build the driver runs it once the compiler has compiled every method body of the file
        /// and left the bound trees in the shared semantic model, so binding a call here binds nothing a second time.
        /// </remarks>
        private protected static void RegisterCallAction(
            CompilationStartAnalysisContext start, Lazy<TorchSymbols?> torchSymbols, string[] names, Action<SemanticModelAnalysisContext, InvocationExpressionSyntax, TorchSymbols> action)
        {
            var generatedCode = GeneratedCodeMarks.Of(start.Compilation);
            start.RegisterSemanticModelAction(file =>
            {
                if (torchSymbols.Value is not { } torch)
                {
                    return;
                }

                var root = file.SemanticModel.SyntaxTree.GetRoot(file.CancellationToken);
                foreach (var name in names)
                {
                    foreach (var call in CallsNamed(root, name, file.CancellationToken))
                    {
                        if (!generatedCode.Contain(call, file.SemanticModel, file.CancellationToken))
                        {
                            action(file, call, torch);
                        }
                    }
                }
            });
        }

        /// <summary>The calls inside <paramref name="scope"/> of a method named <paramref name="name"/>, found through the text.</summary>
        /// <remarks>
        /// The hits come in the text's order, mostly a few in the same method, so each token is looked up from the nearest
        /// node around the last one rather than from <paramref name="scope"/>: descending from a file's root at every hit
        /// was most of what finding the calls cost. The token is the same either way, the only one whose span holds the hit.
        /// A hit that the text shows to be a declaration's name (an override of <c>forward</c>) is not looked up at all.
        /// </remarks>
        private protected static IEnumerable<InvocationExpressionSyntax> CallsNamed(SyntaxNode scope, string name, CancellationToken cancellationToken)
        {
            var near = scope;
            var text = SourceTexts.Of(scope.SyntaxTree, cancellationToken);
            foreach (var at in SourceTexts.WordsIn(text, scope.Span, name))
            {
                if (SourceTexts.FollowsTypeName(text, at))
                {
                    continue;
                }

                while (near != scope && !near.FullSpan.Contains(at) && near.Parent is { } parent)
                {
                    near = parent;
                }

                var token = near.FindToken(at);
                near = token.Parent ?? scope;
                if (token.Parent is SimpleNameSyntax { Identifier.ValueText: var found } called
                    && found == name
                    && called.SpanStart == at
                    && CallOf(called) is { } call)
                {
                    yield return call;
                }
            }
        }

        /// <summary>The call whose method a name names: the name itself, <c>m.name</c> or <c>m?.name</c> before the arguments.</summary>
        private static InvocationExpressionSyntax? CallOf(SimpleNameSyntax name) => name.Parent switch
        {
            InvocationExpressionSyntax call when call.Expression == name => call,
            MemberAccessExpressionSyntax access when access.Name == name => access.Parent as InvocationExpressionSyntax is { } call && call.Expression == access ? call : null,
            MemberBindingExpressionSyntax binding when binding.Name == name => binding.Parent as InvocationExpressionSyntax is { } call && call.Expression == binding ? call : null,
            _ => null,
        };

        /// <summary>The name a call calls: the <c>forward</c> of <c>m.forward</c>, <c>m?.forward</c>, <c>forward</c>.</summary>
        private protected static SimpleNameSyntax? CalledName(InvocationExpressionSyntax call) => call.Expression switch
        {
            MemberAccessExpressionSyntax access => access.Name,
            MemberBindingExpressionSyntax binding => binding.Name,
            SimpleNameSyntax name => name,
            _ => null,
        };
    }
}
