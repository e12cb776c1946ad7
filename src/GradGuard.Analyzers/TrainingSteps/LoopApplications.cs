using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGuard.Analyzers.TrainingSteps
{
    /// <summary>A module applied inside a loop: <c>cell.call(x[t], h)</c>, <c>(output, hidden) = rnn.forward(x, hidden)</c>.</summary>
    internal sealed class LoopApplication
    {
        private static readonly string[] LoopKeywords = { "for", "foreach", "while", "do" };

        public LoopApplication(ExpressionSyntax receiver, string receiverName, bool feedsBack)
        {
            Receiver = receiver;
            ReceiverName = receiverName;
            FeedsBack = feedsBack;
        }

        /// <summary>The module, as written: <c>cell</c>, <c>this.cell</c>, <c>_rnn</c>.</summary>
        public ExpressionSyntax Receiver { get; }

        public string ReceiverName { get; }

        /// <summary>Whether the call's result flows back into its own arguments within the loop: a recurrence over the loop's steps.</summary>
        public bool FeedsBack { get; }

        /// <summary>
        /// Every call of <c>call</c> or <c>forward</c> on one named module inside a loop of <paramref name="scope"/>. A module that
        /// changes from one iteration to the next (<c>foreach (var block in blocks)</c>, <c>layers[i]</c>) is a stack, not a
        /// recurrence, and is left out. Read from the syntax alone, so the classes of other files cost no binding, and only
        /// where the text has a loop's keyword: most training steps and module classes have no loop, and walking their nodes
        /// to find none was a quarter of what reading a training step cost.
        /// </summary>
        public static IEnumerable<LoopApplication> In(SyntaxNode scope, CancellationToken cancellationToken)
        {
            if (!LoopKeywords.Any(keyword => SourceTexts.MentionsWord(scope, keyword, cancellationToken)))
            {
                yield break;
            }

            var seen = new HashSet<InvocationExpressionSyntax>();
            foreach (var loop in scope.DescendantNodes().Where(SyntaxNames.IsLoop))
            {
                var loopVariables = SyntaxNames.DeclaredBy(loop);
                foreach (var call in loop.DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "call" or "forward", Expression: var receiver }
                        && NameOf(receiver) is { } name
                        && !loopVariables.Contains(name)
                        && seen.Add(call))
                    {
                        var derived = NamesDerivedFrom(call, loop);
                        yield return new LoopApplication(receiver, name, SyntaxNames.In(call.ArgumentList).Any(derived.Contains));
                    }
                }
            }
        }

        private static string? NameOf(ExpressionSyntax receiver) => receiver switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
            _ => null,
        };

        /// <summary>The variables that hold the call's result, or a value computed from it, somewhere in the loop.</summary>
        private static HashSet<string> NamesDerivedFrom(InvocationExpressionSyntax call, SyntaxNode loop)
        {
            var derived = new HashSet<string>(AssignedNames(call));
            var assignments = loop.DescendantNodes()
                .Select(node => node switch
                {
                    AssignmentExpressionSyntax assignment => (Targets: SyntaxNames.In(assignment.Left), Value: (SyntaxNode)assignment.Right),
                    VariableDeclaratorSyntax { Initializer: { } initializer } declarator => (Targets: new HashSet<string> { declarator.Identifier.ValueText }, Value: initializer.Value),
                    _ => (Targets: null!, Value: null!),
                })
                .Where(assignment => assignment.Value is not null)
                .ToList();
            for (bool grew = true; grew;)
            {
                grew = false;
                foreach (var (targets, value) in assignments)
                {
                    if (!targets.IsSubsetOf(derived) && SyntaxNames.In(value).Overlaps(derived))
                    {
                        derived.UnionWith(targets);
                        grew = true;
                    }
                }
            }

            return derived;
        }

        /// <summary>The variables a call's result goes into: <c>h = f(...)</c>, <c>var (o, h) = f(...)</c>, <c>(o, h) = f(...)</c>.</summary>
        private static IEnumerable<string> AssignedNames(InvocationExpressionSyntax call)
        {
            foreach (var ancestor in call.Ancestors())
            {
                switch (ancestor)
                {
                    case AssignmentExpressionSyntax assignment:
                        return SyntaxNames.In(assignment.Left);
                    case VariableDeclaratorSyntax declarator:
                        return new[] { declarator.Identifier.ValueText };
                    case StatementSyntax:
                        return Enumerable.Empty<string>();
                }
            }

            return Enumerable.Empty<string>();
        }
    }
}
