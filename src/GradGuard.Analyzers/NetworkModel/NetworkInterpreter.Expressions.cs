using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        private static readonly ImmutableHashSet<string> CollectionAppends = ImmutableHashSet.Create("Add", "append", "Append", "Insert", "Push", "Enqueue");
        private static readonly ImmutableHashSet<string> CollectionCopies = ImmutableHashSet.Create("ToArray", "ToList", "AsEnumerable", "ToImmutableArray", "ToImmutableList");

        private Value? Eval(IOperation? operation, Frame frame)
        {
            if (operation is null || !Tick())
            {
                return null;
            }

            if (operation.ConstantValue.HasValue)
            {
                return AsInteger(operation.ConstantValue.Value) is { } number ? new IntValue(number) : null;
            }

            switch (operation)
            {
                case IConversionOperation conversion:
                    return Eval(conversion.Operand, frame);
                case IParenthesizedOperation parenthesized:
                    return Eval(parenthesized.Operand, frame);
                case ILocalReferenceOperation local:
                    return frame.Locals.TryGetValue(local.Local, out var localValue) ? localValue : null;
                case IParameterReferenceOperation parameter:
                    return frame.Locals.TryGetValue(parameter.Parameter, out var parameterValue) ? parameterValue : null;
                case IPropertyReferenceOperation { Property.Name: "weight" } weight when torch.IsTorchSharp(weight.Property):
                    return Eval(weight.Instance, frame) is ModuleValue owner
                        ? new WeightValue(owner.Nodes.OfType<LayerNode>().Where(l => l.Kind == LayerKind.Weight))
                        : null;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member:
                    return member.Instance is null or IInstanceReferenceOperation && frame.Fields.TryGetValue(member.Member, out var fieldValue) ? fieldValue : null;
                case ISimpleAssignmentOperation assignment:
                    var assigned = Eval(assignment.Value, frame);
                    Store(assignment.Target, assigned, frame);
                    return assigned;
                case IInvocationOperation invocation:
                    return EvalInvocation(invocation, frame);
                case IObjectCreationOperation creation:
                    return EvalCreation(creation, frame);
                case IArrayCreationOperation array:
                    return array.Initializer is null
                        ? new ModuleValue(Enumerable.Empty<Node>())
                        : ModulesOf(array.Initializer.ElementValues, frame);
                case ITupleOperation tuple:
                    return tuple.Elements.Select(e => Eval(e, frame)).OfType<ModuleValue>().LastOrDefault();
                case IBinaryOperation binary:
                    return EvalBinary(binary, frame);
                case IConditionalOperation conditional:
                    return Eval(conditional.WhenTrue, frame);
                case ICoalesceOperation coalesce:
                    return Eval(coalesce.Value, frame);
                default:
                    return null;
            }
        }

        private void Store(IOperation target, Value? value, Frame frame)
        {
            if (value is null)
            {
                return;
            }

            switch (target)
            {
                case ILocalReferenceOperation local:
                    frame.Locals[local.Local] = value;
                    break;
                case IParameterReferenceOperation parameter:
                    frame.Locals[parameter.Parameter] = value;
                    break;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol, Instance: null or IInstanceReferenceOperation } member:
                    frame.Fields[member.Member] = value;
                    break;
                case IArrayElementReferenceOperation element when value is ModuleValue module && Eval(element.ArrayReference, frame) is ModuleValue array:
                    array.Nodes.Add(Nest(module));
                    break;
            }
        }

        /// <summary>A module placed into a container: one element, and no longer a network of its own.</summary>
        private static Node Nest(ModuleValue module)
        {
            module.IsNested = true;
            return module.AsElement();
        }

        private ModuleValue ModulesOf(IEnumerable<IOperation> elements, Frame frame) =>
            new(elements.Select(e => Eval(e, frame)).OfType<ModuleValue>().Select(Nest).ToList());

        private Value? EvalInvocation(IInvocationOperation invocation, Frame frame)
        {
            var method = invocation.TargetMethod;
            var receiver = Eval(invocation.Instance, frame);

            if (torch.IsInitMethod(method))
            {
                ApplyInit(invocation, frame);
                return null;
            }

            if (torch.IsTorchSharp(method) && method.Name == "apply" && invocation.Arguments.Length > 0)
            {
                ApplyInitsInside(invocation.Arguments[0].Value, LayersOf(invocation.Instance, frame));
                return receiver;
            }

            var arguments = new Dictionary<IParameterSymbol, Value?>(SymbolEqualityComparer.Default);
            var tensors = new List<TensorValue>();
            if (receiver is TensorValue receiverTensor)
            {
                tensors.Add(receiverTensor);
            }

            foreach (var argument in invocation.Arguments)
            {
                var value = Unwrap(argument.Value) is IArrayCreationOperation { Initializer: { } elements } array && torch.IsTensor((array.Type as IArrayTypeSymbol)?.ElementType)
                    ? TensorsOf(elements.ElementValues, frame, tensors)
                    : Eval(argument.Value, frame);
                if (value is TensorValue tensor)
                {
                    tensors.Add(tensor);
                }

                if (argument.Parameter is not null)
                {
                    arguments[argument.Parameter] = value;
                }
            }

            if (method.Name is "forward" or "call" && receiver is ModuleValue called && tensors.Count == 1)
            {
                return tensors[0].Then(called.Nodes);
            }

            if (torch.IsTorchSharp(method))
            {
                return EvalTorchSharpCall(invocation, receiver, arguments.Values, tensors);
            }

            var collection = (invocation.Instance is null && method.IsExtensionMethod && method.Parameters.Length > 0
                ? arguments.TryGetValue(method.Parameters[0], out var extended) ? extended : null
                : receiver) as ModuleValue;
            if (collection is not null)
            {
                if (CollectionAppends.Contains(method.Name) && invocation.Instance is not null)
                {
                    AppendModules(collection, arguments.Values, asElements: true);
                    return null;
                }

                if (method.Name == "AddRange" && invocation.Instance is not null)
                {
                    AppendModules(collection, arguments.Values, asElements: false);
                    return null;
                }

                if (CollectionCopies.Contains(method.Name))
                {
                    return new ModuleValue(collection.Nodes);
                }
            }

            return Call(method, invocation, arguments, frame);
        }

        /// <summary>The tensors of an array argument (<c>torch.cat(new[] { a, b })</c>) join the call's tensor inputs.</summary>
        private Value? TensorsOf(IEnumerable<IOperation> elements, Frame frame, List<TensorValue> tensors)
        {
            tensors.AddRange(elements.Select(e => Eval(e, frame)).OfType<TensorValue>());
            return null;
        }
    }
}
