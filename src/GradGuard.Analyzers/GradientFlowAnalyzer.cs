using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                if (TorchSymbols.Resolve(start.Compilation) is not { } torch)
                {
                    return;
                }

                // A layer built in a helper shared by several networks is reported once, not once per network.
                var reported = new ConcurrentDictionary<(string, Location), byte>();
                start.RegisterSyntaxNodeAction(
                    node => AnalyzeModuleClass(node, torch, reported),
                    SyntaxKind.ClassDeclaration);
                start.RegisterOperationBlockAction(block => AnalyzeMember(block, torch, reported));
            });
        }

        private static void AnalyzeModuleClass(SyntaxNodeAnalysisContext context, TorchSymbols torch, ConcurrentDictionary<(string, Location), byte> reported)
        {
            var declaration = (ClassDeclarationSyntax)context.Node;
            if (context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type
                || type.IsAbstract
                || type.IsGenericType
                || !torch.IsCustomTensorModule(type)
                || type.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken) != declaration)
            {
                return;
            }

            var interpreter = new NetworkInterpreter(torch, context.SemanticModel.Compilation, context.CancellationToken);
            if (interpreter.NetworkOfClass(type, declaration.Identifier.GetLocation()) is { } network)
            {
                Report(network, context.Options, context.ReportDiagnostic, reported);
            }
        }

        private static void AnalyzeMember(OperationBlockAnalysisContext context, TorchSymbols torch, ConcurrentDictionary<(string, Location), byte> reported)
        {
            // Members of module classes are covered by their class's network.
            if (torch.IsCustomTensorModule(context.OwningSymbol.ContainingType) || !context.OperationBlocks.Any(b => BuildsSequential(b, torch)))
            {
                return;
            }

            var interpreter = new NetworkInterpreter(torch, context.Compilation, context.CancellationToken);
            foreach (var network in interpreter.NetworksBuiltBy(context.OperationBlocks))
            {
                Report(network, context.Options, context.ReportDiagnostic, reported);
            }
        }

        private static bool BuildsSequential(IOperation block, TorchSymbols torch) =>
            block.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => torch.IsNnFactory(i.TargetMethod, "Sequential"));

        private static void Report(Network network, AnalyzerOptions options, Action<Diagnostic> report, ConcurrentDictionary<(string, Location), byte> reported)
        {
            var tree = network.Location.SourceTree;
            if (tree is null)
            {
                return;
            }

            var ruleOptions = RuleOptions.From(options.AnalyzerConfigOptionsProvider.GetOptions(tree));
            foreach (var diagnostic in Rules.SelectMany(rule => rule(network, ruleOptions)))
            {
                if (reported.TryAdd((diagnostic.Id, diagnostic.Location), 0))
                {
                    report(diagnostic);
                }
            }
        }
    }
}
