using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// The one generated-code setting of the harness's registration with the driver, which every GradGuard analyzer's
    /// context passes on: the analyzers share that registration, so they must agree on it.
    /// </summary>
    internal sealed class GeneratedCodeSetting
    {
        private GeneratedCodeAnalysisFlags? chosen;

        public void Apply(AnalysisContext context, GeneratedCodeAnalysisFlags analysisMode)
        {
            if (chosen is { } earlier && earlier != analysisMode)
            {
                throw new InvalidOperationException($"GradGuard's analyzers configure generated code differently ({earlier}, {analysisMode}); one harness cannot time them as they run.");
            }

            chosen = analysisMode;
            context.ConfigureGeneratedCodeAnalysis(analysisMode);
        }
    }

    /// <summary>
    /// Hands the driver every action one of GradGuard's analyzers registers, each wrapped in that analyzer's clock (those
    /// registered on a code-block-start context excepted: GradGuard has none). Actions registered here rather than once a
    /// compilation starts go through a start action, which the driver treats the same way.
    /// </summary>
    internal sealed class TimedAnalysisContext : AnalysisContext
    {
        private readonly AnalysisContext context;
        private readonly CallbackClock clock;
        private readonly GeneratedCodeSetting generatedCode;

        public TimedAnalysisContext(AnalysisContext context, CallbackClock clock, GeneratedCodeSetting generatedCode)
        {
            this.context = context;
            this.clock = clock;
            this.generatedCode = generatedCode;
        }

        public override void EnableConcurrentExecution() => context.EnableConcurrentExecution();

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => generatedCode.Apply(context, analysisMode);

        // A build that measures the binding floor runs none of GradGuard's actions: every one of them is registered here.
        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) =>
            context.RegisterCompilationStartAction(clock.Timed<CompilationStartAnalysisContext>(start =>
            {
                if (!BindingFloor.IsAskedFor(start.Options))
                {
                    action(new TimedCompilationStartContext(start, clock));
                }
            }));

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) =>
            RegisterCompilationStartAction(start => start.RegisterCompilationEndAction(action));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) =>
            RegisterCompilationStartAction(start => start.RegisterSyntaxTreeAction(action));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) =>
            RegisterCompilationStartAction(start => start.RegisterSemanticModelAction(action));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) =>
            RegisterCompilationStartAction(start => start.RegisterSymbolAction(action, symbolKinds));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) =>
            RegisterCompilationStartAction(start => start.RegisterCodeBlockStartAction(action));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) =>
            RegisterCompilationStartAction(start => start.RegisterCodeBlockAction(action));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            RegisterCompilationStartAction(start => start.RegisterSyntaxNodeAction(action, syntaxKinds));
    }

    /// <summary>The same for the actions registered once a compilation starts.</summary>
    internal sealed class TimedCompilationStartContext : CompilationStartAnalysisContext
    {
        private readonly CompilationStartAnalysisContext context;
        private readonly CallbackClock clock;

        public TimedCompilationStartContext(CompilationStartAnalysisContext context, CallbackClock clock)
            : base(context.Compilation, context.Options, context.CancellationToken)
        {
            this.context = context;
            this.clock = clock;
        }

        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => context.RegisterCompilationEndAction(clock.Timed(action));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => context.RegisterSyntaxTreeAction(clock.Timed(action));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => context.RegisterSemanticModelAction(clock.Timed(action));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) =>
            context.RegisterSymbolAction(clock.Timed(action), symbolKinds);

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) =>
            context.RegisterCodeBlockStartAction(clock.Timed(action));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => context.RegisterCodeBlockAction(clock.Timed(action));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            context.RegisterSyntaxNodeAction(clock.Timed(action), syntaxKinds);
    }
}
