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
                start.RegisterSymbolStartAction(symbolStart => AnalyzeModuleClass(symbolStart, torch, reported), SymbolKind.NamedType);
                start.RegisterCodeBlockAction(block => AnalyzeMember(block, torch, reported));
            });
        }

        private static void AnalyzeModuleClass(SymbolStartAnalysisContext context, TorchSymbols torch, ConcurrentDictionary<(string, Location), byte> reported)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            if (type.IsAbstract
                || type.IsGenericType
                || !torch.IsCustomTensorModule(type)
                || type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(context.CancellationToken) is not ClassDeclarationSyntax declaration)
            {
                return;
            }

            // The class is analysed where its declaration is (so not in generated code), but only once its members
            // are compiled: the compiler leaves their bound bodies in the semantic model, and interpreting them
            // then does not bind them a second time.
            var declarationAnalysed = false;
            context.RegisterSyntaxNodeAction(
                node => declarationAnalysed |= node.Node == declaration,
                SyntaxKind.ClassDeclaration);
            context.RegisterSymbolEndAction(end =>
            {
                var interpreter = new NetworkInterpreter(torch, end.Compilation, end.CancellationToken);
                if (declarationAnalysed && interpreter.NetworkOfClass(type, declaration.Identifier.GetLocation()) is { } network)
                {
                    Report(network, end.Options, end.ReportDiagnostic, reported);
                }
            });
        }

        private static void AnalyzeMember(CodeBlockAnalysisContext context, TorchSymbols torch, ConcurrentDictionary<(string, Location), byte> reported)
        {
            // Members of module classes are covered by their class's network. Most members never build a Sequential,
            // and their operation trees would be built (outside a build, bound again) for nothing: only members that
            // call something of that name are asked for theirs.
            if (torch.IsCustomTensorModule(context.OwningSymbol.ContainingType)
                || !CallsSomethingNamedSequential(context.CodeBlock)
                || context.SemanticModel.GetOperation(context.CodeBlock, context.CancellationToken) is not { } body
                || !BuildsSequential(body, torch))
            {
                return;
            }

            var interpreter = new NetworkInterpreter(torch, context.SemanticModel.Compilation, context.CancellationToken);
            foreach (var network in interpreter.NetworksBuiltBy(body))
            {
                Report(network, context.Options, context.ReportDiagnostic, reported);
            }
        }

        private static bool CallsSomethingNamedSequential(SyntaxNode codeBlock) =>
            codeBlock.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call => call.Expression switch
            {
                MemberAccessExpressionSyntax access => IsSequential(access.Name),
                MemberBindingExpressionSyntax binding => IsSequential(binding.Name),
                SimpleNameSyntax name => IsSequential(name),
                _ => false,
            });

        private static bool IsSequential(SimpleNameSyntax name) => name.Identifier.ValueText == "Sequential";

        private static bool BuildsSequential(IOperation body, TorchSymbols torch) =>
            body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => torch.IsNnFactory(i.TargetMethod, "Sequential"));

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
