using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.TrainingSteps
{
    /// <summary>The calls of a training step that matter for clipping, in the order they run.</summary>
    internal enum StepCall
    {
        Backward,
        Clip,

        /// <summary>Drops the gradients a <c>backward()</c> left, so no path through it carries them to the step.</summary>
        ZeroGrad,
        Step,
    }

    /// <summary>
    /// Whether every path from a <c>backward()</c> to the optimizer's <c>step()</c> clips the gradients, over the compiler's
    /// control flow graph: a clip in one branch of an <c>if</c>, or before the <c>backward()</c> of the same iteration,
    /// leaves a path that does not. A <c>zero_grad()</c> on the way ends a path: the gradients it carried are gone.
    /// </summary>
    internal static class ClippingPaths
    {
        /// <summary>
        /// A <c>backward()</c> from which the step (or, for a closure, the end of the graph) can be reached without passing a
        /// clip; null when none can.
        /// </summary>
        public static IInvocationOperation? UnclippedBackward(ControlFlowGraph graph, Func<IInvocationOperation, StepCall?> classify, bool targetIsExit)
        {
            var calls = graph.Blocks.Select(block => CallsOf(block, classify)).ToArray();
            for (int ordinal = 0; ordinal < calls.Length; ordinal++)
            {
                for (int index = 0; index < calls[ordinal].Count; index++)
                {
                    if (calls[ordinal][index].Kind == StepCall.Backward && Reaches(graph, calls, ordinal, index + 1, targetIsExit))
                    {
                        return calls[ordinal][index].Call;
                    }
                }
            }

            return null;
        }

        private static bool Reaches(ControlFlowGraph graph, List<(StepCall Kind, IInvocationOperation Call)>[] calls, int startBlock, int startIndex, bool targetIsExit)
        {
            var visited = new HashSet<int>();
            var pending = new Stack<(int Block, int Index)>();
            pending.Push((startBlock, startIndex));
            while (pending.Count > 0)
            {
                var (ordinal, index) = pending.Pop();
                var first = calls[ordinal].Skip(index).Select(call => (StepCall?)call.Kind).FirstOrDefault(kind => kind is not StepCall.Backward);
                if (first == StepCall.Step)
                {
                    return true;
                }

                var block = graph.Blocks[ordinal];
                if (first is StepCall.Clip or StepCall.ZeroGrad)
                {
                    continue;
                }

                if (targetIsExit && block.Kind == BasicBlockKind.Exit)
                {
                    return true;
                }

                foreach (var successor in new[] { block.FallThroughSuccessor?.Destination, block.ConditionalSuccessor?.Destination })
                {
                    if (successor is not null && visited.Add(successor.Ordinal))
                    {
                        pending.Push((successor.Ordinal, 0));
                    }
                }
            }

            return false;
        }

        /// <summary>The block's calls of interest in evaluation order: a call's arguments run before the call itself.</summary>
        private static List<(StepCall Kind, IInvocationOperation Call)> CallsOf(BasicBlock block, Func<IInvocationOperation, StepCall?> classify)
        {
            var calls = new List<(StepCall, IInvocationOperation)>();
            foreach (var operation in block.BranchValue is { } branch ? block.Operations.Append(branch) : block.Operations)
            {
                foreach (var invocation in PostOrder(operation).OfType<IInvocationOperation>())
                {
                    if (classify(invocation) is { } kind)
                    {
                        calls.Add((kind, invocation));
                    }
                }
            }

            return calls;
        }

        private static IEnumerable<IOperation> PostOrder(IOperation root)
        {
            var pending = new Stack<(IOperation Operation, bool ChildrenDone)>();
            pending.Push((root, false));
            while (pending.Count > 0)
            {
                var (operation, childrenDone) = pending.Pop();
                if (childrenDone)
                {
                    yield return operation;
                    continue;
                }

                pending.Push((operation, true));
                foreach (var child in operation.ChildOperations.Reverse())
                {
                    pending.Push((child, false));
                }
            }
        }
    }
}
