using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// GG0006: <c>m.forward(x)</c> on a TorchSharp module runs none of its forward hooks; <c>m.call(x)</c> does. Only
    /// <c>base.forward(...)</c> inside an override of <c>forward</c> is left alone: that is how an override extends it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class DirectForwardCallAnalyzer : TorchSharpAnalyzer
    {
        private const string MonitorAssembly = "GradGuard.TorchSharp";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(RuleIds.DirectForwardCallRule);

        private protected override void Start(CompilationStartAnalysisContext start, Lazy<TorchSymbols?> torch)
        {
            // The monitor sees a layer only through its forward hooks: with it in the project, a bypassed layer is a
            // layer the monitor silently leaves out. Asked on first use, as the symbols are: the referenced assemblies'
            // names are known once the compiler has bound them.
            var compilation = start.Compilation;
            var severity = new Lazy<DiagnosticSeverity>(() => compilation.ReferencedAssemblyNames.Any(assembly => assembly.Name == MonitorAssembly)
                ? DiagnosticSeverity.Warning
                : DiagnosticSeverity.Info);

            // The same few methods (Linear's forward, the compilation's own modules') are called thousands of times a build:
            // each is judged once per compilation, not by a walk up its class's base types at every call.
            var moduleForwards = new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
            RegisterCallAction(start, torch, new[] { "forward" }, (file, call, symbols) => Analyze(file, call, symbols, moduleForwards, severity));
        }

        private static void Analyze(
            SemanticModelAnalysisContext context, InvocationExpressionSyntax invocation, TorchSymbols torch, ConcurrentDictionary<IMethodSymbol, bool> moduleForwards, Lazy<DiagnosticSeverity> severity)
        {
            if (CalledName(invocation) is not { } name
                || IsBaseCallInsideForwardOverride(invocation)
                || context.SemanticModel.GetSymbolInfo(invocation, context.CancellationToken).Symbol is not IMethodSymbol method)
            {
                return;
            }

            if (!moduleForwards.TryGetValue(method, out var isModuleForward))
            {
                moduleForwards[method] = isModuleForward = torch.IsModuleForward(method);
            }

            if (!isModuleForward)
            {
                return;
            }

            // The squiggle covers the receiver and the name, m.forward or m?.forward, not the arguments.
            var conditional = invocation.Expression is MemberBindingExpressionSyntax ? invocation.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>() : null;
            var (receiver, start) = invocation.Expression switch
            {
                MemberAccessExpressionSyntax access => (access.Expression.ToString(), access.SpanStart),
                _ when conditional is not null => (conditional.Expression.ToString(), conditional.SpanStart),
                _ => ("this", name.SpanStart),
            };
            var location = Location.Create(invocation.SyntaxTree, TextSpan.FromBounds(start, name.Span.End));
            context.ReportDiagnostic(Diagnostic.Create(RuleIds.DirectForwardCallRule, location, severity.Value, additionalLocations: null, properties: null, receiver));
        }

        private static bool IsBaseCallInsideForwardOverride(InvocationExpressionSyntax invocation) =>
            invocation.Expression is MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax }
            && invocation.FirstAncestorOrSelf<MethodDeclarationSyntax>() is { Identifier.ValueText: "forward" } method
            && method.Modifiers.Any(SyntaxKind.OverrideKeyword);
    }
}
