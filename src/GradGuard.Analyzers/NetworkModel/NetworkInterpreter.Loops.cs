using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        /// <summary>
        /// A loop whose body never reads its counter, or runs more than <see cref="MaxUnrolled"/> times, is run once
        /// and folded into a <see cref="RepeatNode"/>; one that reads it (<c>channels[i]</c>, <c>i == 0 ? s : 1</c>)
        /// runs step by step with the counter known. A bound the source does not give counts as one iteration.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private void ExecuteFor(IForLoopOperation loop, Frame frame)
        {
            foreach (var before in loop.Before)
            {
                Execute(before, frame);
            }

            var counters = loop.Locals;
            if (TripCount(loop, frame) is { } count && (count > MaxUnrolled || !Reads(loop.Body, counters)))
            {
                Forget(frame, counters);
                ExecuteRepeated(loop.Body, count, frame);
                return;
            }

            Iterate(frame, loop.Body, () => loop.Condition is null ? true : Condition(loop.Condition, frame), () =>
            {
                foreach (var bottom in loop.AtLoopBottom)
                {
                    Execute(bottom, frame);
                }
            }, counters);
        }

        private void ExecuteWhile(IWhileLoopOperation loop, Frame frame)
        {
            bool? Test()
            {
                var condition = loop.Condition is null ? true : Condition(loop.Condition, frame);
                return loop.ConditionIsUntil ? !condition : condition;
            }

            if (loop.ConditionIsTop)
            {
                Iterate(frame, loop.Body, Test, () => { }, loop.Locals);
                return;
            }

            var first = true;
            Iterate(frame, loop.Body, () => first ? true : Test(), () => first = false, loop.Locals);
        }

        /// <summary>
        /// Runs a loop body while <paramref name="test"/> says so, up to <see cref="MaxUnrolled"/> times. An undecided
        /// test before the first iteration runs the body once with the loop's variables unknown; later, it stops.
        /// </summary>
        private void Iterate(Frame frame, IOperation body, System.Func<bool?> test, System.Action next, ImmutableArray<ILocalSymbol> loopVariables)
        {
            for (var iteration = 0; iteration < MaxUnrolled && !Exhausted; iteration++)
            {
                var goOn = test();
                if (goOn == false || (goOn is null && iteration > 0))
                {
                    return;
                }

                if (goOn is null)
                {
                    Forget(frame, loopVariables);
                }

                Execute(body, frame);
                var exit = frame.Exit;
                frame.Exit = LoopExit.None;
                if (frame.HasReturned || exit == LoopExit.Break || goOn is null)
                {
                    return;
                }

                next();
            }
        }

        private void ExecuteForEach(IForEachLoopOperation loop, Frame frame)
        {
            var collection = Unwrap(loop.Collection);
            if (collection is IInvocationOperation { TargetMethod.Name: "Range", Arguments.Length: 2 } range && IsLinqEnumerable(range.TargetMethod.ContainingType))
            {
                var start = (Eval(range.Arguments[0].Value, frame) as ConstantValue)?.AsLong;
                var count = (Eval(range.Arguments[1].Value, frame) as ConstantValue)?.AsLong;
                if (start is not null && count is { } known && known >= 0 && known <= MaxUnrolled && Reads(loop.Body, loop.Locals))
                {
                    ForEachElement(loop, Enumerable.Range(0, (int)known).Select(i => (Value?)ConstantValue.Of(start.Value + i)), frame);
                }
                else
                {
                    Forget(frame, loop.Locals);
                    ExecuteRepeated(loop.Body, count ?? 1, frame);
                }

                return;
            }

            switch (Eval(collection, frame))
            {
                case ModuleValue modules:
                    ForEachModule(loop, modules, frame);
                    break;
                case SequenceValue sequence:
                    ForEachElement(loop, sequence.Elements.Take(MaxElementsIterated).ToList(), frame);
                    break;
                case DictionaryValue dictionary:
                    ForEachElement(loop, dictionary.Entries.Select(e => (Value?)new TupleValue(new[] { e.Key, e.Value })).ToList(), frame);
                    break;
                default:
                    Forget(frame, loop.Locals);
                    ExecuteRepeated(loop.Body, 1, frame);
                    break;
            }
        }

        private void ForEachElement(IForEachLoopOperation loop, IEnumerable<Value?> elements, Frame frame)
        {
            foreach (var element in elements)
            {
                Forget(frame, loop.Locals);
                AssignTo(loop.LoopControlVariable, element, frame);
                Execute(loop.Body, frame);
                var exit = frame.Exit;
                frame.Exit = LoopExit.None;
                if (frame.HasReturned || exit == LoopExit.Break || Exhausted)
                {
                    return;
                }
            }
        }

        /// <summary>The modules of a list one by one; a stretch repeated by a folded loop runs once and is folded again.</summary>
        private void ForEachModule(IForEachLoopOperation loop, ModuleValue modules, Frame frame)
        {
            foreach (var element in modules.Nodes.Take(MaxElementsIterated).ToList())
            {
                Forget(frame, loop.Locals);
                if (element is RepeatNode { Count: > 1 } repeat)
                {
                    AssignTo(loop.LoopControlVariable, ElementModule(repeat.Body, modules), frame);
                    ExecuteRepeated(loop.Body, repeat.Count, frame);
                }
                else
                {
                    AssignTo(loop.LoopControlVariable, ElementModule(ImmutableArray.Create(element), modules), frame);
                    Execute(loop.Body, frame);
                }

                var exit = frame.Exit;
                frame.Exit = LoopExit.None;
                if (frame.HasReturned || exit == LoopExit.Break || Exhausted)
                {
                    return;
                }
            }
        }

        /// <summary>An element of a module list as a module: the instance it came from when the list holds one.</summary>
        private static ModuleValue ElementModule(ImmutableArray<Node> nodes, ModuleValue list)
        {
            var element = nodes.Length == 1 && nodes[0] is RepeatNode { Count: 1 } block ? block.Body : nodes;
            return list.Submodules.FirstOrDefault(s => s.Nodes.SequenceEqual(element)) ?? new ModuleValue(element);
        }

        private static void Forget(Frame frame, ImmutableArray<ILocalSymbol> locals)
        {
            foreach (var local in locals)
            {
                frame.Locals.Remove(local);
            }
        }

        /// <summary>Whether the body reads one of the locals, outside string interpolations (a layer's name).</summary>
        [MethodImpl(HotPaths.Optimized)]
        private static bool Reads(IOperation body, ImmutableArray<ILocalSymbol> locals)
        {
            if (locals.IsEmpty)
            {
                return false;
            }

            var pending = new Stack<IOperation>();
            pending.Push(body);
            while (pending.Count > 0)
            {
                var operation = pending.Pop();
                if (operation is ILocalReferenceOperation reference && locals.Contains(reference.Local))
                {
                    return true;
                }

                if (operation is IInterpolatedStringOperation)
                {
                    continue;
                }

                foreach (var child in operation.ChildOperations)
                {
                    pending.Push(child);
                }
            }

            return false;
        }

        /// <summary>
        /// Runs a loop body once and folds whatever it appended, to module containers or to tensors, into a
        /// <see cref="RepeatNode"/>: a 50-step loop counts as 50 layers without being unrolled. Lists of other values get
        /// what the body appended once per iteration, up to a bound past which they no longer know their length.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private void ExecuteRepeated(IOperation body, long count, Frame frame)
        {
            if (count <= 0)
            {
                return;
            }

            if (count == 1)
            {
                Execute(body, frame);
                frame.Exit = LoopExit.None;
                return;
            }

            var containers = Containers(frame);
            var tensors = new List<KeyValuePair<ISymbol, TensorValue>>();
            foreach (var local in frame.Locals)
            {
                if (local.Value is TensorValue tensor)
                {
                    tensors.Add(new KeyValuePair<ISymbol, TensorValue>(local.Key, tensor));
                }
            }

            Execute(body, frame);
            frame.Exit = LoopExit.None;

            foreach (var container in containers)
            {
                switch (container.Container)
                {
                    case ModuleValue module when module.Nodes.Count > container.Length:
                        var appended = module.Nodes.Skip(container.Length).ToImmutableArray();
                        module.Nodes.RemoveRange(container.Length, appended.Length);
                        module.Nodes.Add(new RepeatNode(appended, count));
                        break;
                    case SequenceValue sequence when sequence.Elements.Count > container.Length && (sequence.Elements.Count - container.Length) * count <= MaxElementsIterated:
                        // The body reads no counter, so every iteration appends what the one that ran did.
                        var added = sequence.Elements.Skip(container.Length).ToList();
                        for (var iteration = 1; iteration < count; iteration++)
                        {
                            sequence.Elements.AddRange(added);
                        }

                        break;
                    case SequenceValue sequence when sequence.Elements.Count != container.Length:
                        sequence.IsComplete = false;
                        break;
                }
            }

            foreach (var tensor in tensors)
            {
                if (frame.Locals.TryGetValue(tensor.Key, out var now) && now is TensorValue after && ExtendsPath(after.Path, tensor.Value.Path))
                {
                    var appended = after.Path.RemoveRange(0, tensor.Value.Path.Length);
                    frame.Locals[tensor.Key] = new TensorValue(tensor.Value.Path.Add(new RepeatNode(appended, count)));
                }
            }
        }

        private static bool ExtendsPath(ImmutableArray<Node> path, ImmutableArray<Node> prefix) =>
            path.Length > prefix.Length && CommonPrefixLength(path, prefix) == prefix.Length;

        private static int CommonPrefixLength(ImmutableArray<Node> first, ImmutableArray<Node> second)
        {
            var length = 0;
            while (length < first.Length && length < second.Length && ReferenceEquals(first[length], second[length]))
            {
                length++;
            }

            return length;
        }

        /// <summary>Iterations of <c>for (i = a; i &lt; b; i += s)</c> when a, b and s are known; null otherwise.</summary>
        private long? TripCount(IForLoopOperation loop, Frame frame)
        {
            if (loop.Condition is not IBinaryOperation { LeftOperand: ILocalReferenceOperation counter } condition
                || !frame.TryGetLocal(counter.Local, out var startValue)
                || (startValue as ConstantValue)?.AsLong is not { } start
                || (Eval(condition.RightOperand, frame) as ConstantValue)?.AsLong is not { } bound
                || loop.AtLoopBottom.Length != 1)
            {
                return null;
            }

            long? step = loop.AtLoopBottom[0] switch
            {
                IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation increment } => increment.Kind == OperationKind.Increment ? 1 : -1,
                IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add } add } => (Eval(add.Value, frame) as ConstantValue)?.AsLong,
                IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Subtract } subtract } => -(Eval(subtract.Value, frame) as ConstantValue)?.AsLong,
                _ => null,
            };
            var span = condition.OperatorKind switch
            {
                BinaryOperatorKind.LessThan when step > 0 => bound - start,
                BinaryOperatorKind.LessThanOrEqual when step > 0 => bound - start + 1,
                BinaryOperatorKind.GreaterThan when step < 0 => start - bound,
                BinaryOperatorKind.GreaterThanOrEqual when step < 0 => start - bound + 1,
                _ => (long?)null,
            };
            if (span is null || step is null)
            {
                return null;
            }

            var stride = step.Value > 0 ? step.Value : -step.Value;
            return System.Math.Min(MaxLoopCount, System.Math.Max(0, (span.Value + stride - 1) / stride));
        }
    }
}
