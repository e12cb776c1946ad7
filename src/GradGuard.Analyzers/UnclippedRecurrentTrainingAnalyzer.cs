using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using GradGuard.Analyzers.TrainingSteps;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// GG0004: an optimizer's <c>step()</c> after <c>loss.backward()</c>, for a recurrent model, with a path between them
    /// that does not clip the gradients. With <c>step(closure)</c> (LBFGS) the closure's <c>backward()</c> counts, and the
    /// clip belongs inside the closure. Only calls named <c>step</c> are looked at, so other code costs no binding.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UnclippedRecurrentTrainingAnalyzer : TorchSharpAnalyzer
    {
        /// <summary>The diagnostic property with the models to clip, one expression a line, as written where the clip goes.</summary>
        public const string ModelsProperty = "Models";

        /// <summary>The diagnostic property with the maximum norm to clip to, from <c>gradguard.GG0004.max_norm</c>.</summary>
        public const string MaxNormProperty = "MaxNorm";

        private static readonly HashSet<string> ClippingNames = new() { "clip_grad_norm_", "clip_grad_value_", "ClipGradients" };

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(RuleIds.UnclippedRecurrentTrainingRule);

        private protected override void Start(CompilationStartAnalysisContext start, Lazy<TorchSymbols?> torch)
        {
            var clippingHelpers = new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
            // What makes a model class recurrent is read from its source once per compilation, not once per training step.
            var recurrenceByType = new ConcurrentDictionary<ITypeSymbol, string?>(SymbolEqualityComparer.Default);
            RegisterCallAction(start, torch, new[] { "step" }, (file, call, symbols) => Analyze(file, call, symbols, clippingHelpers, recurrenceByType));
        }

        private static void Analyze(
            SemanticModelAnalysisContext context,
            InvocationExpressionSyntax invocation,
            TorchSymbols torch,
            ConcurrentDictionary<IMethodSymbol, bool> clippingHelpers,
            ConcurrentDictionary<ITypeSymbol, string?> recurrenceByType)
        {
            var model = context.SemanticModel;
            if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "step" } access
                || model.GetOperation(invocation, context.CancellationToken) is not IInvocationOperation step
                || !torch.IsOptimizerStep(step.TargetMethod)
                || ExecutableCode.MemberAround(invocation) is not { } member)
            {
                return;
            }

            var takesClosure = step.Arguments.Any(argument => argument.ArgumentKind != ArgumentKind.DefaultValue);
            var executable = takesClosure ? Closure(step, model, context.CancellationToken) : ExecutableCode.Around(invocation);
            if (executable is null)
            {
                return;
            }

            // The models the optimizer updates are the ones whose gradients matter; the loss names them when the optimizer
            // was built where this code cannot see. The calls are read one by one, and only a recurrent model is worth the
            // member's whole operation tree and a control flow graph. The loss is read only when the optimizer names no model
            // or a diagnostic needs its names, the member's loops only for a model whose class is not recurrent.
            var models = new TrainedModels(torch, model, member, context.CancellationToken);
            var trainedByOptimizer = models.ThroughOptimizer(step).ToList();
            List<TrainedModel>? trainedThroughLoss = null;
            List<TrainedModel> TrainedThroughLoss() => trainedThroughLoss ??= CallsNamed(executable, "backward", context.CancellationToken)
                .Select(call => model.GetOperation(call, context.CancellationToken))
                .OfType<IInvocationOperation>()
                .Where(call => torch.IsBackward(call.TargetMethod))
                .SelectMany(models.ThroughLoss)
                .ToList();
            var recurrence = new ModelRecurrence(torch, context.CancellationToken);
            List<LoopApplication>? loops = null;
            var recurrent = new List<(TrainedModel Model, string Reason)>();
            foreach (var candidate in trainedByOptimizer.Count > 0 ? trainedByOptimizer : TrainedThroughLoss())
            {
                if ((RecurrenceOfClasses(candidate, recurrence, recurrenceByType)
                    ?? AppliedRecurrently(candidate, loops ??= LoopApplication.In(member, context.CancellationToken).ToList(), torch, model, context.CancellationToken)) is { } why)
                {
                    recurrent.Add((candidate, why));
                }
            }

            if (recurrent.Count == 0 || UnclippedBackward(executable, step, takesClosure, torch, clippingHelpers, context) is not { } backward)
            {
                return;
            }

            // The fix clips what the optimizer trains; without an optimizer to read, the recurrent models the loss came from.
            var insertAt = takesClosure ? backward.Syntax.Span.End : invocation.SpanStart;
            var toClip = (trainedByOptimizer.Count > 0 ? trainedByOptimizer : recurrent.Select(pair => pair.Model))
                .Select(candidate => ExpressionAt(candidate, insertAt, TrainedThroughLoss(), torch, model))
                .Distinct()
                .ToList();
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(MaxNormProperty, RuleOptions.From(context.Options.AnalyzerConfigOptionsProvider.GetOptions(invocation.SyntaxTree)).ClipMaxNorm.ToString("0.0###############", CultureInfo.InvariantCulture));
            if (toClip.All(expression => expression is not null))
            {
                properties = properties.Add(ModelsProperty, string.Join("\n", toClip));
            }

            var (first, reason) = recurrent[0];
            context.ReportDiagnostic(Diagnostic.Create(
                RuleIds.UnclippedRecurrentTrainingRule,
                invocation.GetLocation(),
                takesClosure ? new[] { backward.Syntax.GetLocation() } : null,
                properties,
                $"{access.Expression}.step()",
                $"'{first.Name}'",
                reason));
        }

        /// <summary>
        /// A <c>backward()</c> from which the step can be reached without a clip: in the code around the step, or for
        /// <c>step(closure)</c>, in the closure, on a path to its end. Null when every path clips.
        /// </summary>
        private static IInvocationOperation? UnclippedBackward(
            SyntaxNode executable, IInvocationOperation step, bool takesClosure, TorchSymbols torch, ConcurrentDictionary<IMethodSymbol, bool> clippingHelpers, SemanticModelAnalysisContext context)
        {
            var model = context.SemanticModel;
            if (ExecutableCode.Graph(executable, model, context.CancellationToken) is not { } graph)
            {
                return null;
            }

            StepCall? Classify(IInvocationOperation call) =>
                torch.IsBackward(call.TargetMethod) ? StepCall.Backward
                : IsClipping(call.TargetMethod, torch, clippingHelpers, context.CancellationToken) ? StepCall.Clip
                : call.TargetMethod.Name == "zero_grad" && torch.IsTorchSharp(call.TargetMethod) ? StepCall.ZeroGrad
                : call.Syntax == step.Syntax ? StepCall.Step
                : null;

            // The graph holds its own copies of the operations; the original tree's call is what the models are read from.
            return ClippingPaths.UnclippedBackward(graph, Classify, targetIsExit: takesClosure) is { } unclipped
                ? model.GetOperation(unclipped.Syntax, context.CancellationToken) as IInvocationOperation
                : null;
        }

        /// <summary>
        /// The closure of <c>step(closure)</c>: a lambda, a local function or a method, passed directly or through a local.
        /// Its <c>backward()</c> runs inside <c>step</c>, so that is where the clip has to be.
        /// </summary>
        private static SyntaxNode? Closure(IInvocationOperation step, SemanticModel model, CancellationToken cancellationToken)
        {
            var argument = step.Arguments.First(candidate => candidate.ArgumentKind != ArgumentKind.DefaultValue).Value;
            for (int hops = 0; argument is not null && hops < 4; hops++)
            {
                switch (argument)
                {
                    case IConversionOperation conversion:
                        argument = conversion.Operand;
                        break;
                    case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }:
                        return lambda.Syntax;
                    case IAnonymousFunctionOperation lambda:
                        return lambda.Syntax;
                    case IDelegateCreationOperation { Target: IMethodReferenceOperation reference }:
                        return reference.Method.DeclaringSyntaxReferences.FirstOrDefault(syntax => syntax.SyntaxTree == model.SyntaxTree)?.GetSyntax(cancellationToken);
                    case ILocalReferenceOperation local:
                        argument = local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: var value }
                            ? model.GetOperation(value, cancellationToken)
                            : null;
                        break;
                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary>
        /// A clipping call: TorchSharp's or the monitor's, or a method of the compilation that makes one (found by the names
        /// it calls, so a helper in another file costs no binding).
        /// </summary>
        private static bool IsClipping(IMethodSymbol method, TorchSymbols torch, ConcurrentDictionary<IMethodSymbol, bool> clippingHelpers, CancellationToken cancellationToken) =>
            torch.IsGradientClipping(method)
            || (method.DeclaringSyntaxReferences.Length > 0
                && clippingHelpers.GetOrAdd(method.OriginalDefinition, helper => helper.DeclaringSyntaxReferences
                    .SelectMany(reference => reference.GetSyntax(cancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>())
                    .Any(call => call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name } && ClippingNames.Contains(name))));

        /// <summary>
        /// What makes the first recurrent one of the classes a model may be recurrent (<see cref="ModelRecurrence.Of"/>), each
        /// class read once per compilation; null when none is.
        /// </summary>
        private static string? RecurrenceOfClasses(TrainedModel candidate, ModelRecurrence recurrence, ConcurrentDictionary<ITypeSymbol, string?> recurrenceByType)
        {
            foreach (var type in candidate.Types)
            {
                if (recurrenceByType.GetOrAdd(type, recurrence.Of) is { } reason)
                {
                    return reason;
                }
            }

            return null;
        }

        /// <summary>
        /// A model the training code itself applies in a loop that feeds its output back (a hand-written RNN unrolled over a
        /// sequence): the same variable, or a module of the model's own class (the trainer's field for the constructor's parameter).
        /// </summary>
        private static string? AppliedRecurrently(TrainedModel candidate, List<LoopApplication> loops, TorchSymbols torch, SemanticModel model, CancellationToken cancellationToken) =>
            loops.Any(loop => (loop.FeedsBack || candidate.Types.Any(type => torch.RecurrenceOf(type) == Recurrence.Cell))
                && ((candidate.Symbol is not null && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(loop.Receiver, cancellationToken).Symbol, candidate.Symbol))
                    || (model.GetTypeInfo(loop.Receiver, cancellationToken).Type is { } applied && !torch.IsTorchSharp(applied) && candidate.Types.Contains(applied, SymbolEqualityComparer.Default))))
                ? "a loop in this method that feeds its output back into it"
                : null;

        /// <summary>
        /// How to name the model where the clip goes: as found, or, for a model the optimizer got as a constructor's
        /// parameter, as the loss's calls name a module of the same class there. Null when no name reaches there.
        /// </summary>
        private static string? ExpressionAt(TrainedModel candidate, int position, List<TrainedModel> trainedThroughLoss, TorchSymbols torch, SemanticModel model) =>
            NameAt(candidate, position, model)
            ?? trainedThroughLoss
                .Where(other => other.Types.Intersect(candidate.Types, SymbolEqualityComparer.Default).Any(type => !torch.IsTorchSharp(type)))
                .Select(other => NameAt(other, position, model))
                .FirstOrDefault(name => name is not null);

        private static string? NameAt(TrainedModel candidate, int position, SemanticModel model)
        {
            if (candidate.Reference is IInstanceReferenceOperation)
            {
                return model.GetEnclosingSymbol(position) is { IsStatic: false } enclosing
                    && SymbolEqualityComparer.Default.Equals(enclosing.ContainingType, candidate.Reference.Type)
                        ? "this"
                        : null;
            }

            var text = candidate.Reference.Syntax.ToString();
            var bound = model.GetSpeculativeSymbolInfo(position, SyntaxFactory.ParseExpression(text), SpeculativeBindingOption.BindAsExpression).Symbol;
            return candidate.Symbol is not null && SymbolEqualityComparer.Default.Equals(bound, candidate.Symbol) ? text : null;
        }
    }
}
