using System;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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
                if (TorchSymbols.Resolve(start.Compilation) is { } torch)
                {
                    Start(start, torch);
                }
            });
        }

        /// <summary>Registers the analyzer's actions for a compilation that references TorchSharp.</summary>
        private protected abstract void Start(CompilationStartAnalysisContext start, TorchSymbols torch);

        /// <summary>
        /// Runs <paramref name="action"/> on every call in hand-written code whose method name passes
        /// <paramref name="isCandidate"/>, which sees the name alone, before anything is bound.
        /// </summary>
        /// <remarks>
        /// A semantic-model action rather than a syntax-node action: in a build the driver runs it once the compiler has
        /// compiled every method body of the file and left the bound trees in the shared semantic model, so binding a call
        /// here binds nothing a second time. A syntax-node action can run before the compiler reaches the body.
        /// </remarks>
        private protected static void RegisterCallAction(
            CompilationStartAnalysisContext start, Func<string, bool> isCandidate, Action<SemanticModelAnalysisContext, InvocationExpressionSyntax> action)
        {
            var generatedCode = start.Compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute");
            start.RegisterSemanticModelAction(file =>
            {
                var calls = file.SemanticModel.SyntaxTree.GetRoot(file.CancellationToken)
                    .DescendantNodes(node => !IsGeneratedDeclaration(node, generatedCode, file.SemanticModel, file.CancellationToken))
                    .OfType<InvocationExpressionSyntax>();
                foreach (var call in calls)
                {
                    if (CalledName(call) is { } name && isCandidate(name.Identifier.ValueText))
                    {
                        action(file, call);
                    }
                }
            });
        }

        /// <summary>The name a call calls: the <c>forward</c> of <c>m.forward</c>, <c>m?.forward</c>, <c>forward</c>.</summary>
        private protected static SimpleNameSyntax? CalledName(InvocationExpressionSyntax call) => call.Expression switch
        {
            MemberAccessExpressionSyntax access => access.Name,
            MemberBindingExpressionSyntax binding => binding.Name,
            SimpleNameSyntax name => name,
            _ => null,
        };

        /// <summary>
        /// A declaration marked <c>[GeneratedCode]</c>. Only declarations with attributes of their own, or parts of partial
        /// types, whose other parts may have them, are asked for their symbol.
        /// </summary>
        private static bool IsGeneratedDeclaration(SyntaxNode node, INamedTypeSymbol? generatedCode, SemanticModel model, CancellationToken cancellationToken) =>
            generatedCode is not null
            && node is BaseTypeDeclarationSyntax or BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax
            && (((MemberDeclarationSyntax)node).AttributeLists.Count > 0 || ((MemberDeclarationSyntax)node).Modifiers.Any(SyntaxKind.PartialKeyword))
            && model.GetDeclaredSymbol(node, cancellationToken) is { } symbol
            && symbol.GetAttributes().Any(attribute => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, generatedCode));
    }
}
