using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        [MethodImpl(HotPaths.Optimized)]
        private Value? Eval(IOperation? operation, Frame frame)
        {
            if (operation is null || !Tick())
            {
                return null;
            }

            // One read of Kind and a jump on it, then one cast: a chain of type patterns tests each operation against
            // interface after interface (an invocation against a dozen) before it matches, and Eval meets every operation.
            // Kind is read once: on operations of every class, each read through the interface is a lookup.
            var kind = operation.Kind;
            if (MayBeConstant(operation, kind))
            {
                var known = operation.ConstantValue;
                if (known.HasValue)
                {
                    return ConstantFolding.From(known);
                }
            }

            switch (kind)
            {
                case OperationKind.Literal:
                    return ConstantFolding.From(operation.ConstantValue);
                case OperationKind.Conversion:
                    var conversion = (IConversionOperation)operation;
                    var folded = conversion.ConstantValue;
                    if (folded.HasValue)
                    {
                        return ConstantFolding.From(folded);
                    }

                    var converted = Eval(conversion.Operand, frame);
                    return converted is ConstantValue constant ? ConstantFolding.Convert(constant, conversion.Type) : converted;
                case OperationKind.Parenthesized:
                    return Eval(((IParenthesizedOperation)operation).Operand, frame);
                case OperationKind.LocalReference:
                    return frame.TryGetLocal(((ILocalReferenceOperation)operation).Local, out var localValue) ? localValue : null;
                case OperationKind.ParameterReference:
                    return frame.TryGetLocal(((IParameterReferenceOperation)operation).Parameter, out var parameterValue) ? parameterValue : null;
                case OperationKind.InstanceReference:
                    return frame.Instance;
                case OperationKind.FieldReference or OperationKind.PropertyReference:
                    return EvalMember((IMemberReferenceOperation)operation, frame);
                case OperationKind.ArrayElementReference:
                    var element = (IArrayElementReferenceOperation)operation;
                    return ElementAt(Eval(element.ArrayReference, frame), element.Indices.Length == 1 ? Eval(element.Indices[0], frame) : null);
                case OperationKind.DelegateCreation:
                    return Eval(((IDelegateCreationOperation)operation).Target, frame);
                case OperationKind.AnonymousFunction:
                    return new DelegateValue((IAnonymousFunctionOperation)operation, frame);
                case OperationKind.MethodReference:
                    var method = (IMethodReferenceOperation)operation;
                    return new DelegateValue(method.Method, method.Instance is null ? null : Eval(method.Instance, frame));
                case OperationKind.SimpleAssignment:
                    var assignment = (ISimpleAssignmentOperation)operation;
                    var assigned = Eval(assignment.Value, frame);
                    Store(assignment.Target, assigned, frame);
                    return assigned;
                case OperationKind.CompoundAssignment:
                    var compound = (ICompoundAssignmentOperation)operation;
                    var combined = Combine(compound.OperatorKind, Eval(compound.Target, frame), Eval(compound.Value, frame));
                    Store(compound.Target, combined, frame);
                    return combined;
                case OperationKind.CoalesceAssignment:
                    var coalesceAssignment = (ICoalesceAssignmentOperation)operation;
                    var current = Eval(coalesceAssignment.Target, frame);
                    if (current is ConstantValue { IsNull: true })
                    {
                        current = Eval(coalesceAssignment.Value, frame);
                        Store(coalesceAssignment.Target, current, frame);
                    }

                    return current;
                case OperationKind.Increment or OperationKind.Decrement:
                    return EvalIncrement((IIncrementOrDecrementOperation)operation, frame);
                case OperationKind.DeconstructionAssignment:
                    var deconstruction = (IDeconstructionAssignmentOperation)operation;
                    var deconstructed = Eval(deconstruction.Value, frame);
                    AssignTo(deconstruction.Target, deconstructed, frame);
                    return deconstructed;
                case OperationKind.Invocation:
                    return EvalInvocation((IInvocationOperation)operation, frame);
                case OperationKind.ObjectCreation:
                    return EvalCreation((IObjectCreationOperation)operation, frame);
                case OperationKind.AnonymousObjectCreation:
                    return EvalAnonymousObject((IAnonymousObjectCreationOperation)operation, frame);
                case OperationKind.ArrayCreation:
                    return EvalArray((IArrayCreationOperation)operation, frame);
                case OperationKind.Tuple:
                    return new TupleValue(EvalEach(((ITupleOperation)operation).Elements, frame));
                case OperationKind.Binary:
                    return EvalBinary((IBinaryOperation)operation, frame);
                case OperationKind.TupleBinary:
                    var tupleComparison = (ITupleBinaryOperation)operation;
                    return Equal(Eval(tupleComparison.LeftOperand, frame), Eval(tupleComparison.RightOperand, frame)) is { } equal
                        ? ConstantValue.Of(equal == (tupleComparison.OperatorKind == BinaryOperatorKind.Equals))
                        : null;
                case OperationKind.Unary:
                    var unary = (IUnaryOperation)operation;
                    return Eval(unary.Operand, frame) is ConstantValue operand ? ConstantFolding.Unary(unary.OperatorKind, operand) : null;
                case OperationKind.Conditional:
                    var conditional = (IConditionalOperation)operation;
                    return Condition(conditional.Condition, frame) switch
                    {
                        true => Eval(conditional.WhenTrue, frame),
                        false => Eval(conditional.WhenFalse, frame),
                        _ => Join(new[] { Eval(conditional.WhenTrue, frame), Eval(conditional.WhenFalse, frame) }),
                    };
                case OperationKind.SwitchExpression:
                    return EvalSwitchExpression((ISwitchExpressionOperation)operation, frame);
                case OperationKind.Coalesce:
                    var coalesce = (ICoalesceOperation)operation;
                    var value = Eval(coalesce.Value, frame);
                    return value is ConstantValue { IsNull: true } ? Eval(coalesce.WhenNull, frame) : value;
                case OperationKind.IsPattern:
                    var isPattern = (IIsPatternOperation)operation;
                    return Match(Eval(isPattern.Value, frame), isPattern.Pattern, frame) is { } matched ? ConstantValue.Of(matched) : null;
                case OperationKind.IsType:
                    var isType = (IIsTypeOperation)operation;
                    return IsOfType(Eval(isType.ValueOperand, frame), isType.TypeOperand) is { } isOfType ? ConstantValue.Of(isOfType != isType.IsNegated) : null;
                default:
                    return operation.Syntax is CollectionExpressionSyntax ? EvalCollectionExpression(operation, frame) : null;
            }
        }

        /// <summary>
        /// Whether to ask an operation of any kind for the constant C# may have folded it to. Asked here, <c>ConstantValue</c>
        /// is a call through the interface on operations of every class, which the runtime resolves by a lookup each time;
        /// the kind, and for a variable its symbol, answer for the operations network code is made of. Literals and
        /// conversions, the commonest constants, are asked in their own cases, where the call meets one class only.
        /// </summary>
        private static bool MayBeConstant(IOperation operation, OperationKind kind) => kind switch
        {
            OperationKind.Literal or OperationKind.Conversion => false,
            OperationKind.LocalReference => ((ILocalReferenceOperation)operation).Local.IsConst,
            OperationKind.FieldReference => ((IFieldReferenceOperation)operation).Field.IsConst,
            // Not object creations: Roslyn folds `new int()` and the like to their default.
            OperationKind.Invocation or OperationKind.ArrayCreation
                or OperationKind.ParameterReference or OperationKind.InstanceReference or OperationKind.PropertyReference
                or OperationKind.SimpleAssignment or OperationKind.CompoundAssignment or OperationKind.AnonymousFunction
                or OperationKind.DelegateCreation or OperationKind.MethodReference or OperationKind.ArrayElementReference => false,
            _ => true,
        };

        // Loops rather than lambdas: a lambda that captures a parameter makes C# allocate its closure on every call of the
        // method, and Eval runs for every operation the interpreter meets.
        private List<Value?> EvalEach(ImmutableArray<IOperation> operations, Frame frame)
        {
            var values = new List<Value?>(operations.Length);
            foreach (var operation in operations)
            {
                values.Add(Eval(operation, frame));
            }

            return values;
        }

        private List<Value?> EvalArguments(ImmutableArray<IArgumentOperation> arguments, Frame frame)
        {
            var values = new List<Value?>(arguments.Length);
            foreach (var argument in arguments)
            {
                values.Add(EvalArgument(argument, frame));
            }

            return values;
        }

        /// <summary>A field or property: of <c>this</c>, of a static class (its initialiser run once), or of another instance.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private Value? EvalMember(IMemberReferenceOperation member, Frame frame)
        {
            var symbol = member.Member;
            if (member is IPropertyReferenceOperation { Arguments.Length: > 0 } indexer)
            {
                return ElementAt(Eval(indexer.Instance, frame), Eval(indexer.Arguments[0].Value, frame));
            }

            if (torch.IsTorchSharp(symbol))
            {
                return (symbol.Name, Eval(member.Instance, frame)) switch
                {
                    ("weight" or "bias", ModuleValue layer) => new WeightValue(layer.Nodes.OfType<LayerNode>(), symbol.Name),
                    ("Count", ModuleValue list) => CountOf(list),
                    _ => null,
                };
            }

            if (symbol.IsStatic)
            {
                return StaticValue(symbol);
            }

            if (member.Instance is null or IInstanceReferenceOperation)
            {
                return frame.Fields.TryGetValue(symbol, out var own) ? own : frame.Instance is { } self ? Getter(symbol, self) : null;
            }

            var owner = Eval(member.Instance, frame);
            switch (owner)
            {
                case ModuleValue { Fields: { } fields }:
                    return fields.TryGetValue(symbol, out var field) ? field : Getter(symbol, owner);
                case ObjectValue instance:
                    return instance.Fields.TryGetValue(symbol, out var property) ? property : Getter(symbol, owner);
                case TupleValue tuple:
                    return TupleElement(tuple, symbol);
                case SequenceValue or ModuleValue when symbol.Name is "Length" or "Count" or "LongLength":
                    return CountOf(owner);
                case ConstantValue { Value: string text } when symbol.Name == "Length":
                    return ConstantValue.Of(text.Length);
                case DictionaryValue dictionary when symbol.Name == "Count":
                    return ConstantValue.Of(dictionary.Entries.Count);
                default:
                    return null;
            }
        }

        /// <summary>A computed property (<c>int Width =&gt; 2 * Base;</c>) runs its getter on the instance.</summary>
        private Value? Getter(ISymbol symbol, Value owner)
        {
            if (symbol is not IPropertySymbol { GetMethod: { } getter } || bodies.Of(getter, cancellationToken) is not { } body)
            {
                return null;
            }

            var frame = new Frame(FieldsOf(owner), owner);
            RunBody(getter, body, frame);
            return Join(frame.Returns);
        }

        /// <summary>A static field or property, from its initialiser, evaluated once per run: stage tables, configurations.</summary>
        private Value? StaticValue(ISymbol symbol)
        {
            symbol = symbol.OriginalDefinition;
            reached.Add(symbol);
            if (!statics.TryGetValue(symbol, out var value))
            {
                statics[symbol] = null;
                var frame = new Frame(new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default));
                value = bodies.InitializerOf(symbol, cancellationToken) is { } initializer ? Eval(initializer.Value, frame) : null;
                statics[symbol] = value;
            }

            return value;
        }

        private static Value? TupleElement(TupleValue tuple, ISymbol symbol)
        {
            if (symbol is not IFieldSymbol field || field.ContainingType is not { IsTupleType: true } tupleType)
            {
                return null;
            }

            var target = field.CorrespondingTupleField ?? field;
            var elements = tupleType.TupleElements;
            for (var index = 0; index < elements.Length && index < tuple.Elements.Length; index++)
            {
                if (SymbolEqualityComparer.Default.Equals(elements[index], field)
                    || SymbolEqualityComparer.Default.Equals(elements[index].CorrespondingTupleField ?? elements[index], target))
                {
                    return tuple.Elements[index];
                }
            }

            return null;
        }

        [MethodImpl(HotPaths.Optimized)]
        private void Store(IOperation target, Value? value, Frame frame)
        {
            switch (target.Kind)
            {
                case OperationKind.LocalReference:
                    frame.SetLocal(((ILocalReferenceOperation)target).Local, value);
                    break;
                case OperationKind.ParameterReference:
                    frame.SetLocal(((IParameterReferenceOperation)target).Parameter, value);
                    break;
                case OperationKind.PropertyReference when target is IPropertyReferenceOperation { Arguments.Length: > 0 } indexer:
                    StoreElement(Eval(indexer.Instance, frame), Eval(indexer.Arguments[0].Value, frame), value);
                    break;
                case OperationKind.ArrayElementReference when target is IArrayElementReferenceOperation { Indices.Length: 1 } element:
                    StoreElement(Eval(element.ArrayReference, frame), Eval(element.Indices[0], frame), value);
                    break;
                case OperationKind.FieldReference or OperationKind.PropertyReference:
                    StoreMember((IMemberReferenceOperation)target, value, frame);
                    break;
                case OperationKind.DeclarationExpression or OperationKind.Tuple:
                    AssignTo(target, value, frame);
                    break;
            }
        }

        private void StoreMember(IMemberReferenceOperation member, Value? value, Frame frame)
        {
            var symbol = member.Member;
            if (symbol.IsStatic)
            {
                statics[symbol.OriginalDefinition] = value;
                return;
            }

            var fields = member.Instance is null or IInstanceReferenceOperation ? frame.Fields : Eval(member.Instance, frame) switch
            {
                ModuleValue { Fields: { } moduleFields } owner => Nested(owner, value, moduleFields),
                ObjectValue owner => owner.Fields,
                _ => null,
            };
            if (fields is null)
            {
                return;
            }

            if (value is null)
            {
                fields.Remove(symbol);
            }
            else
            {
                fields[symbol] = value;
            }
        }

        /// <summary>A module set on another module's field (<c>model.head = nn.Linear(...)</c>) becomes part of it.</summary>
        private static Dictionary<ISymbol, Value> Nested(ModuleValue owner, Value? value, Dictionary<ISymbol, Value> fields)
        {
            if (value is ModuleValue module && !ReferenceEquals(module, owner))
            {
                module.IsNested = true;
            }

            return fields;
        }

        /// <summary>
        /// Assigns to a declaration or deconstruction target: <c>var x</c>, <c>var (name, module)</c>, <c>(a, b)</c>,
        /// a loop variable. Parts of a value that is not a tuple are unknown.
        /// </summary>
        private void AssignTo(IOperation? target, Value? value, Frame frame)
        {
            switch (target)
            {
                case IVariableDeclaratorOperation declarator:
                    DeclareLocal(frame, declarator.Symbol, value);
                    break;
                case IDeclarationExpressionOperation declaration:
                    AssignTo(declaration.Expression, value, frame);
                    break;
                case ITupleOperation tuple:
                    for (var index = 0; index < tuple.Elements.Length; index++)
                    {
                        AssignTo(tuple.Elements[index], value is TupleValue parts && index < parts.Elements.Length ? parts.Elements[index] : null, frame);
                    }

                    break;
                case ILocalReferenceOperation { IsDeclaration: true } local:
                    DeclareLocal(frame, local.Local, value);
                    break;
                case IDiscardOperation:
                    break;
                case { } other:
                    Store(other, value, frame);
                    break;
            }
        }

        private Value? EvalIncrement(IIncrementOrDecrementOperation increment, Frame frame)
        {
            var before = Eval(increment.Target, frame) as ConstantValue;
            var after = before is null ? null : ConstantFolding.Binary(
                increment.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract, before, ConstantValue.Of(1L));
            Store(increment.Target, after, frame);
            return increment.IsPostfix ? before : after;
        }

        private Value? EvalBinary(IBinaryOperation binary, Frame frame)
        {
            var left = Eval(binary.LeftOperand, frame);
            if (left is ConstantValue { Value: bool decided } && binary.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr
                && decided == (binary.OperatorKind == BinaryOperatorKind.ConditionalOr))
            {
                return left;
            }

            return Combine(binary.OperatorKind, left, Eval(binary.RightOperand, frame));
        }

        /// <summary>
        /// A binary operator on two values: constants fold; tensors merge (an addition may be a skip connection, a
        /// product with a sigmoid a gate); a comparison with null is decided for values that are surely not null.
        /// </summary>
        private static Value? Combine(BinaryOperatorKind kind, Value? left, Value? right)
        {
            if (left is ConstantValue a && right is ConstantValue b)
            {
                return ConstantFolding.Binary(kind, a, b);
            }

            if (kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals && Equal(left, right) is { } equal)
            {
                return ConstantValue.Of(equal == (kind == BinaryOperatorKind.Equals));
            }

            var tensors = new[] { left, right }.OfType<TensorValue>().ToList();
            if (tensors.Count == 0)
            {
                return null;
            }

            return kind switch
            {
                BinaryOperatorKind.Add => Merge(tensors, JoinKind.Skip),
                BinaryOperatorKind.Multiply => Gate(tensors),
                _ => Merge(tensors, JoinKind.Parallel),
            };
        }

        /// <summary>Whether two values are equal, where known: constants, and null against a value that is surely not null.</summary>
        private static bool? Equal(Value? left, Value? right)
        {
            if (left is ConstantValue a && right is ConstantValue b)
            {
                return a.SameAs(b);
            }

            if (left is TupleValue x && right is TupleValue y && x.Elements.Length == y.Elements.Length)
            {
                bool? equal = true;
                for (var index = 0; index < x.Elements.Length; index++)
                {
                    equal = And(equal, Equal(x.Elements[index], y.Elements[index]));
                }

                return equal;
            }

            var (nullSide, other) = left is ConstantValue { IsNull: true } ? (left, right) : (right, left);
            return nullSide is ConstantValue { IsNull: true } && other is not null and not ConstantValue ? false : null;
        }

        private Value? EvalSwitchExpression(ISwitchExpressionOperation switchExpression, Frame frame)
        {
            var value = Eval(switchExpression.Value, frame);
            var candidates = new List<Value?>();
            foreach (var arm in switchExpression.Arms)
            {
                var matches = And(Match(value, arm.Pattern, frame), arm.Guard is null ? true : Condition(arm.Guard, frame));
                if (matches != false)
                {
                    candidates.Add(Eval(arm.Value, frame));
                }

                if (matches == true)
                {
                    break;
                }
            }

            return Join(candidates);
        }
    }
}
