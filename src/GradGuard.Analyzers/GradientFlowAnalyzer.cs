using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using GradGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// Builds the model of every TorchSharp network in the compilation once (custom module classes, <c>Sequential</c>
    /// networks built in ordinary methods, each judged from the outermost code that builds it) and runs every rule
    /// over it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GradientFlowAnalyzer : DiagnosticAnalyzer
    {
        private static readonly Func<Network, RuleOptions, IEnumerable<Diagnostic>>[] Rules =
        {
            DeepSaturatingStackRule.Check,
            ReluWithoutHeInitRule.Check,
            DeepPlainStackRule.Check,
            ExplicitInitScaleRule.Check,
        };

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            RuleIds.DeepSaturatingStackRule,
            RuleIds.ReluWithoutHeInitRule,
            RuleIds.DeepPlainStackRule,
            RuleIds.ExplicitInitScaleRule);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            // Generated code is never analysed; the diagnostics are kept out of it by DiagnosticReports, more cheaply
            // than the driver's own filter.
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                if (!TorchSymbols.IsReferenced(start.Compilation))
                {
                    return;
                }

                var models = new SemanticModels(start.Compilation);
                var networks = new CompilationNetworks(start.Compilation, models);
                var reports = new DiagnosticReports(start.Compilation, models, cancellationToken =>
                {
                    // Found before the reports' lock is taken: every thread that arrives meanwhile helps find them.
                    var found = networks.Find(cancellationToken);
                    return Check(found, start.Options);
                });
                start.RegisterSemanticModelAction(file =>
                {
                    // In a build, a file's semantic-model actions run after the compiler has compiled every method body
                    // and left the trees it bound in the shared semantic models, so modelling the whole compilation on
                    // the first of them binds nothing a second time. Each file then reports the diagnostics that lie in
                    // it, where the fixes go, so the IDE shows them and offers the fixes under the caret.
                    models.Keep(file.SemanticModel);
                    reports.ReportIn(file.SemanticModel.SyntaxTree, file.ReportDiagnostic, file.CancellationToken);
                });
            });
        }

        /// <summary>Runs every rule over every network, with the options of the file the network is reported in.</summary>
        internal static IEnumerable<Diagnostic> Check(IEnumerable<Network> networks, AnalyzerOptions options)
        {
            // Read once per file: a file of models holds several networks.
            var optionsByFile = new Dictionary<SyntaxTree, RuleOptions>();
            foreach (var network in networks)
            {
                if (network.Location.SourceTree is not { } tree)
                {
                    continue;
                }

                if (!optionsByFile.TryGetValue(tree, out var ruleOptions))
                {
                    optionsByFile[tree] = ruleOptions = RuleOptions.From(options.AnalyzerConfigOptionsProvider.GetOptions(tree));
                }

                foreach (var rule in Rules)
                {
                    foreach (var diagnostic in rule(network, ruleOptions))
                    {
                        yield return diagnostic;
                    }
                }
            }
        }
    }
}
