using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        private static readonly ImmutableHashSet<string> ModuleEnumerations =
            ImmutableHashSet.Create("modules", "named_modules", "children", "named_children", "parameters", "named_parameters");

        private void Execute(IOperation? operation, Frame frame)
        {
            if (operation is null || frame.HasReturned || !Tick())
            {
                return;
            }

            switch (operation)
            {
                case IMethodBodyBaseOperation body:
                    Execute(body.BlockBody ?? body.ExpressionBody, frame);
                    break;
                case IBlockOperation block:
                    foreach (var statement in block.Operations)
                    {
                        Execute(statement, frame);
                    }

                    break;
                case IVariableDeclarationGroupOperation group:
                    foreach (var declaration in group.Declarations)
                    {
                        foreach (var declarator in declaration.Declarators)
                        {
                            var initializer = declarator.Initializer ?? declaration.Initializer;
                            if (initializer is not null && Eval(initializer.Value, frame) is { } value)
                            {
                                frame.Locals[declarator.Symbol] = value;
                            }
                        }
                    }

                    break;
                case IExpressionStatementOperation statement:
                    Eval(statement.Operation, frame);
                    break;
                case IReturnOperation { Kind: OperationKind.Return } returned:
                    frame.Returned = returned.ReturnedValue is null ? null : Eval(returned.ReturnedValue, frame);
                    frame.HasReturned = true;
                    break;
                case IForLoopOperation loop:
                    foreach (var before in loop.Before)
                    {
                        Execute(before, frame);
                    }

                    ExecuteRepeated(loop.Body, TripCount(loop, frame) ?? 1, frame);
                    break;
                case IForEachLoopOperation loop:
                    ExecuteForEach(loop, frame);
                    break;
                case IConditionalOperation branch:
                    // Which branch runs is rarely known; the first one is where the layers usually are.
                    Execute(branch.WhenTrue, frame);
                    break;
                default:
                    Execute(NestedStatement(operation), frame);
                    break;
            }
        }

        /// <summary>The statement inside a statement that only wraps one (while, using, try, lock, label).</summary>
        private static IOperation? NestedStatement(IOperation operation) => operation switch
        {
            ILoopOperation loop => loop.Body,
            IUsingOperation usingBlock => usingBlock.Body,
            ITryOperation tryBlock => tryBlock.Body,
            ILockOperation lockBlock => lockBlock.Body,
            ILabeledOperation labeled => labeled.Operation,
            _ => null,
        };

        /// <summary>
        /// Runs a loop body once and folds whatever it appended, to containers or to tensors, into a
        /// <see cref="RepeatNode"/>: a 50-step loop counts as 50 layers without being unrolled.
        /// </summary>
        private void ExecuteRepeated(IOperation body, long count, Frame frame)
        {
            if (count <= 0)
            {
                return;
            }

            if (count == 1)
            {
                Execute(body, frame);
                return;
            }

            var containers = frame.Locals.Values.Concat(frame.Fields.Values).OfType<ModuleValue>().Distinct().ToDictionary(m => m, m => m.Nodes.Count);
            var tensors = frame.Locals.Where(l => l.Value is TensorValue).ToDictionary(l => l.Key, l => (TensorValue)l.Value, SymbolEqualityComparer.Default);

            Execute(body, frame);

            foreach (var container in containers)
            {
                var module = container.Key;
                var before = container.Value;
                if (module.Nodes.Count > before)
                {
                    var appended = module.Nodes.Skip(before).ToImmutableArray();
                    module.Nodes.RemoveRange(before, appended.Length);
                    module.Nodes.Add(new RepeatNode(appended, count));
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
                || !frame.Locals.TryGetValue(counter.Local, out var startValue)
                || startValue is not IntValue start
                || Eval(condition.RightOperand, frame) is not IntValue bound
                || loop.AtLoopBottom.Length != 1)
            {
                return null;
            }

            long? step = loop.AtLoopBottom[0] switch
            {
                IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation increment } => increment.Kind == OperationKind.Increment ? 1 : -1,
                IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add } add } => (Eval(add.Value, frame) as IntValue)?.Number,
                _ => null,
            };
            var span = condition.OperatorKind switch
            {
                BinaryOperatorKind.LessThan when step > 0 => bound.Number - start.Number,
                BinaryOperatorKind.LessThanOrEqual when step > 0 => bound.Number - start.Number + 1,
                BinaryOperatorKind.GreaterThan when step < 0 => start.Number - bound.Number,
                BinaryOperatorKind.GreaterThanOrEqual when step < 0 => start.Number - bound.Number + 1,
                _ => (long?)null,
            };
            if (span is null || step is null)
            {
                return null;
            }

            var stride = step.Value > 0 ? step.Value : -step.Value;
            return System.Math.Min(MaxLoopCount, System.Math.Max(0, (span.Value + stride - 1) / stride));
        }

        private void ExecuteForEach(IForEachLoopOperation loop, Frame frame)
        {
            var collection = Unwrap(loop.Collection);
            if (collection is IInvocationOperation enumeration && ModuleEnumerations.Contains(enumeration.TargetMethod.Name) && torch.IsTorchSharp(enumeration.TargetMethod))
            {
                ApplyInitsInside(loop.Body, LayersOf(enumeration.Instance, frame));
                return;
            }

            if (collection is IInvocationOperation { TargetMethod.Name: "Range", Arguments.Length: 2 } range
                && range.TargetMethod.ContainingType.ToDisplayString() == "System.Linq.Enumerable")
            {
                ExecuteRepeated(loop.Body, (Eval(range.Arguments[1].Value, frame) as IntValue)?.Number ?? 1, frame);
                return;
            }

            var variable = (loop.LoopControlVariable as IVariableDeclaratorOperation)?.Symbol;
            if (variable is null || Eval(collection, frame) is not ModuleValue modules)
            {
                Execute(loop.Body, frame);
                return;
            }

            foreach (var element in modules.Nodes.Take(MaxElementsIterated).ToList())
            {
                if (element is RepeatNode repeat)
                {
                    frame.Locals[variable] = new ModuleValue(repeat.Body);
                    ExecuteRepeated(loop.Body, repeat.Count, frame);
                }
                else
                {
                    frame.Locals[variable] = new ModuleValue(new[] { element });
                    Execute(loop.Body, frame);
                }
            }
        }

        /// <summary>
        /// The init calls in a loop over <c>modules()</c>/<c>parameters()</c> or an <c>apply</c> callback reach every
        /// weight layer of the module, or the ones of the types the body tests for (<c>m is Linear lin</c>).
        /// </summary>
        private void ApplyInitsInside(IOperation scope, IEnumerable<LayerNode> layers)
        {
            var descendants = scope.DescendantsAndSelf().ToList();
            var testedTypes = descendants.Select(TestedType).Where(t => torch.KindOfModuleType(t) == LayerKind.Weight).ToList();
            var targets = layers
                .Where(l => l.Kind == LayerKind.Weight)
                .Where(l => testedTypes.Count == 0 || testedTypes.Any(t => IsSameOrDerived(l.ModuleType, t)))
                .ToList();
            foreach (var call in descendants.OfType<IInvocationOperation>())
            {
                if (torch.IsInitMethod(call.TargetMethod) && InitCalls.Classify(call) is { } init)
                {
                    foreach (var layer in targets)
                    {
                        layer.Init = init;
                    }
                }
            }
        }

        private static ITypeSymbol? TestedType(IOperation operation) => operation switch
        {
            IIsTypeOperation isType => isType.TypeOperand,
            IDeclarationPatternOperation declaration => declaration.MatchedType,
            ITypePatternOperation type => type.MatchedType,
            _ => null,
        };

        private static bool IsSameOrDerived(ITypeSymbol? type, ITypeSymbol? baseType)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, baseType))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The layers of a module expression; no expression or <c>this</c> means every module the instance holds.</summary>
        private IEnumerable<LayerNode> LayersOf(IOperation? module, Frame frame)
        {
            if (module is null or IInstanceReferenceOperation)
            {
                return NodeTraversal.Layers(frame.Fields.Values.OfType<ModuleValue>().SelectMany(m => m.Nodes));
            }

            return Eval(module, frame) is ModuleValue value ? NodeTraversal.Layers(value.Nodes) : Enumerable.Empty<LayerNode>();
        }

        private static IOperation Unwrap(IOperation operation) =>
            operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;
    }
}
