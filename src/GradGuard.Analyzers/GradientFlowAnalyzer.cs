using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using GradGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// Builds the model of every TorchSharp network in the compilation once (custom module classes and
    /// <c>Sequential</c> networks built in ordinary methods) and runs every rule over it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GradientFlowAnalyzer : DiagnosticAnalyzer
    {
        private static readonly Func<Network, RuleOptions, IEnumerable<Diagnostic>>[] Rules =
        {
            DeepSaturatingStackRule.Check,
            ReluWithoutHeInitRule.Check,
            DeepPlainStackRule.Check,
        };

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            RuleIds.DeepSaturatingStackRule,
            RuleIds.ReluWithoutHeInitRule,
            RuleIds.DeepPlainStackRule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            // Generated code is never analysed; the diagnostics are kept out of it by DiagnosticReports, more cheaply
            // than the driver's own filter.
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                if (TorchSymbols.Resolve(start.Compilation) is not { } torch)
                {
                    return;
                }

                var models = new SemanticModels(start.Compilation);
                var reports = new DiagnosticReports(start.Compilation, models);
                start.RegisterSemanticModelAction(model => AnalyzeModuleClasses(model, torch, models, reports));
                start.RegisterCodeBlockAction(block => AnalyzeMember(block, torch, models, reports));
            });
        }

        private static void AnalyzeModuleClasses(SemanticModelAnalysisContext context, TorchSymbols torch, SemanticModels models, DiagnosticReports reports)
        {
            // In a build, a file's semantic-model actions run after the compiler has compiled every method body, and the
            // compiler leaves the trees it bound in the shared semantic model: interpreting a class's members, and those
            // of the blocks it instantiates, then binds nothing a second time. Analysed as soon as its own members were
            // compiled (a symbol-end action), a class had its blocks bound ahead of the compiler, which bound them again.
            var model = context.SemanticModel;
            models.Keep(model);
            reports.FileAnalysed(model.SyntaxTree, context.ReportDiagnostic);
            var declarations = model.SyntaxTree.GetRoot(context.CancellationToken)
                .DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax)
                .OfType<ClassDeclarationSyntax>();
            foreach (var declaration in declarations)
            {
                if (model.GetDeclaredSymbol(declaration, context.CancellationToken) is { IsAbstract: false, IsGenericType: false } type
                    && torch.IsCustomTensorModule(type)
                    && type.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken) == declaration
                    && new NetworkInterpreter(torch, models, context.CancellationToken).NetworkOfClass(type, declaration.Identifier.GetLocation()) is { } network)
                {
                    Report(network, context.Options, reports, context.ReportDiagnostic, context.CancellationToken);
                }
            }
        }

        private static void AnalyzeMember(CodeBlockAnalysisContext context, TorchSymbols torch, SemanticModels models, DiagnosticReports reports)
        {
            // Members of module classes are covered by their class's network. Most members never build a Sequential,
            // and their operation trees would be built (outside a build, bound again) for nothing: only members that
            // mention the name are asked for theirs.
            if (torch.IsCustomTensorModule(context.OwningSymbol.ContainingType)
                || !MentionsSequential(context.CodeBlock, context.CancellationToken)
                || context.SemanticModel.GetOperation(context.CodeBlock, context.CancellationToken) is not { } body
                || !BuildsSequential(body, torch))
            {
                return;
            }

            var interpreter = new NetworkInterpreter(torch, models, context.CancellationToken);
            foreach (var network in interpreter.NetworksBuiltBy(body))
            {
                Report(network, context.Options, reports, context.ReportDiagnostic, context.CancellationToken);
            }
        }

        // A look at the block's text, not a walk over its nodes: a few times cheaper, and a mention in a comment or a
        // string costs no more than the operation tree it then asks for.
        private static bool MentionsSequential(SyntaxNode codeBlock, CancellationToken cancellationToken) =>
            codeBlock.SyntaxTree.GetText(cancellationToken).ToString(codeBlock.Span).IndexOf("Sequential", StringComparison.Ordinal) >= 0;

        private static bool BuildsSequential(IOperation body, TorchSymbols torch) =>
            body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => torch.IsNnFactory(i.TargetMethod, "Sequential"));

        /// <summary>Runs the rules over a network found in the file being analysed, the file its location is in.</summary>
        private static void Report(Network network, AnalyzerOptions options, DiagnosticReports reports, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            var tree = network.Location.SourceTree;
            if (tree is null)
            {
                return;
            }

            var ruleOptions = RuleOptions.From(options.AnalyzerConfigOptionsProvider.GetOptions(tree));
            foreach (var diagnostic in Rules.SelectMany(rule => rule(network, ruleOptions)))
            {
                reports.Report(diagnostic, tree, report, cancellationToken);
            }
        }
    }
}
