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

            var known = operation.ConstantValue;
            if (known.HasValue)
            {
                return ConstantFolding.From(known);
            }

            switch (operation)
            {
                case IConversionOperation conversion:
                    var converted = Eval(conversion.Operand, frame);
                    return converted is ConstantValue constant ? ConstantFolding.Convert(constant, conversion.Type) : converted;
                case IParenthesizedOperation parenthesized:
                    return Eval(parenthesized.Operand, frame);
                case ILocalReferenceOperation local:
                    return frame.TryGetLocal(local.Local, out var localValue) ? localValue : null;
                case IParameterReferenceOperation parameter:
                    return frame.TryGetLocal(parameter.Parameter, out var parameterValue) ? parameterValue : null;
                case IInstanceReferenceOperation:
                    return frame.Instance;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member:
                    return EvalMember(member, frame);
                case IArrayElementReferenceOperation element:
                    return ElementAt(Eval(element.ArrayReference, frame), element.Indices.Length == 1 ? Eval(element.Indices[0], frame) : null);
                case IDelegateCreationOperation creation:
                    return Eval(creation.Target, frame);
                case IAnonymousFunctionOperation lambda:
                    return new DelegateValue(lambda, frame);
                case IMethodReferenceOperation method:
                    return new DelegateValue(method.Method, method.Instance is null ? null : Eval(method.Instance, frame));
                case ISimpleAssignmentOperation assignment:
                    var assigned = Eval(assignment.Value, frame);
                    Store(assignment.Target, assigned, frame);
                    return assigned;
                case ICompoundAssignmentOperation compound:
                    var combined = Combine(compound.OperatorKind, Eval(compound.Target, frame), Eval(compound.Value, frame));
                    Store(compound.Target, combined, frame);
                    return combined;
                case ICoalesceAssignmentOperation coalesceAssignment:
                    var current = Eval(coalesceAssignment.Target, frame);
                    if (current is ConstantValue { IsNull: true })
                    {
                        current = Eval(coalesceAssignment.Value, frame);
                        Store(coalesceAssignment.Target, current, frame);
                    }

                    return current;
                case IIncrementOrDecrementOperation increment:
                    return EvalIncrement(increment, frame);
                case IDeconstructionAssignmentOperation deconstruction:
                    var deconstructed = Eval(deconstruction.Value, frame);
                    AssignTo(deconstruction.Target, deconstructed, frame);
                    return deconstructed;
                case IInvocationOperation invocation:
                    return EvalInvocation(invocation, frame);
                case IObjectCreationOperation creation:
                    return EvalCreation(creation, frame);
                case IAnonymousObjectCreationOperation anonymous:
                    return EvalAnonymousObject(anonymous, frame);
                case IArrayCreationOperation array:
                    return EvalArray(array, frame);
                case ITupleOperation tuple:
                    return new TupleValue(EvalEach(tuple.Elements, frame));
                case IBinaryOperation binary:
                    return EvalBinary(binary, frame);
                case ITupleBinaryOperation tupleComparison:
                    return Equal(Eval(tupleComparison.LeftOperand, frame), Eval(tupleComparison.RightOperand, frame)) is { } equal
                        ? ConstantValue.Of(equal == (tupleComparison.OperatorKind == BinaryOperatorKind.Equals))
                        : null;
                case IUnaryOperation unary:
                    return Eval(unary.Operand, frame) is ConstantValue operand ? ConstantFolding.Unary(unary.OperatorKind, operand) : null;
                case IConditionalOperation conditional:
                    return Condition(conditional.Condition, frame) switch
                    {
                        true => Eval(conditional.WhenTrue, frame),
                        false => Eval(conditional.WhenFalse, frame),
                        _ => Join(new[] { Eval(conditional.WhenTrue, frame), Eval(conditional.WhenFalse, frame) }),
                    };
                case ISwitchExpressionOperation switchExpression:
                    return EvalSwitchExpression(switchExpression, frame);
                case ICoalesceOperation coalesce:
                    var value = Eval(coalesce.Value, frame);
                    return value is ConstantValue { IsNull: true } ? Eval(coalesce.WhenNull, frame) : value;
                case IIsPatternOperation isPattern:
                    return Match(Eval(isPattern.Value, frame), isPattern.Pattern, frame) is { } matched ? ConstantValue.Of(matched) : null;
                case IIsTypeOperation isType:
                    return IsOfType(Eval(isType.ValueOperand, frame), isType.TypeOperand) is { } isOfType ? ConstantValue.Of(isOfType != isType.IsNegated) : null;
                default:
                    return operation.Syntax is CollectionExpressionSyntax ? EvalCollectionExpression(operation, frame) : null;
            }
        }

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
                values.Add(Eval(argument.Value, frame));
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
            switch (target)
            {
                case ILocalReferenceOperation local:
                    frame.SetLocal(local.Local, value);
                    break;
                case IParameterReferenceOperation parameter:
                    frame.SetLocal(parameter.Parameter, value);
                    break;
                case IPropertyReferenceOperation { Arguments.Length: > 0 } indexer:
                    StoreElement(Eval(indexer.Instance, frame), Eval(indexer.Arguments[0].Value, frame), value);
                    break;
                case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                    StoreElement(Eval(element.ArrayReference, frame), Eval(element.Indices[0], frame), value);
                    break;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member:
                    StoreMember(member, value, frame);
                    break;
                case IDeclarationExpressionOperation or ITupleOperation:
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
