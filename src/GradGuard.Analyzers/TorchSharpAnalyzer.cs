using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// An analyzer of GradGuard's that reads TorchSharp code apart from the network model: it starts only in compilations
    /// that reference TorchSharp, and never runs on generated code.
    /// </summary>
    /// <remarks>
    /// Generated code is left to the driver as <see cref="GradientFlowAnalyzer"/> leaves it, without analysis and without a
    /// filter on reports: each of these analyzers reports inside the declaration it analyses, so nothing it reports can
    /// land in generated code, and the driver's filter would scan a file's declarations on its first report. One setting
    /// for all of GradGuard's analyzers also lets the callback timing harness run them as one.
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
    }
}
