using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        private Value? EvalTorchSharpCall(IInvocationOperation invocation, Value? receiver, IEnumerable<Value?> arguments, List<TensorValue> tensors)
        {
            var method = invocation.TargetMethod;
            if (torch.IsNnFactory(method, "Sequential") || torch.IsNnFactory(method, "ModuleList"))
            {
                return BuildContainer(invocation, arguments);
            }

            if (SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Nn) && torch.IsModuleType(method.ReturnType))
            {
                var kind = torch.KindOfModuleType(method.ReturnType) ?? LayerKind.Neutral;
                return new ModuleValue(new[] { new LayerNode(kind, method.Name, method.ReturnType, invocation.Syntax) });
            }

            if (method.Name is "append" or "Add" && receiver is ModuleValue container)
            {
                AppendModules(container, arguments, asElements: true);
                return container;
            }

            if (torch.KindOfFunction(method) is { } functionKind && tensors.Count > 0)
            {
                return tensors[0].Then(new[] { new LayerNode(functionKind, method.Name, null, invocation.Syntax) });
            }

            return method.Name switch
            {
                "add" or "add_" => Merge(tensors, isAddition: true),
                "mul" or "mul_" => Gate(tensors),
                _ => Merge(tensors, isAddition: false),
            };
        }

        private ModuleValue BuildContainer(IInvocationOperation invocation, IEnumerable<Value?> arguments)
        {
            var container = new ModuleValue(Enumerable.Empty<Node>(), invocation);
            foreach (var argument in arguments.OfType<ModuleValue>())
            {
                // The elements are copied at the call: a list changed afterwards does not change the Sequential.
                container.Nodes.AddRange(argument.Nodes);
                argument.IsNested = true;
            }

            if (callDepth == 0 && torch.IsNnFactory(invocation.TargetMethod, "Sequential"))
            {
                topLevelSequentials.Add(container);
            }

            return container;
        }

        private static void AppendModules(ModuleValue container, IEnumerable<Value?> arguments, bool asElements)
        {
            foreach (var module in arguments.OfType<ModuleValue>().ToList())
            {
                if (ReferenceEquals(module, container))
                {
                    continue;
                }

                if (asElements)
                {
                    container.Nodes.Add(Nest(module));
                }
                else
                {
                    module.IsNested = true;
                    container.Nodes.AddRange(module.Nodes);
                }
            }
        }

        /// <summary>Follows a method of the compilation (a helper that builds or initialises modules), bounded.</summary>
        private Value? Call(IMethodSymbol method, IInvocationOperation invocation, IReadOnlyDictionary<IParameterSymbol, Value?> arguments, Frame frame)
        {
            if (method.DeclaringSyntaxReferences.IsEmpty)
            {
                return null;
            }

            var sharesInstance = invocation.Instance is null or IInstanceReferenceOperation;
            var callee = new Frame(sharesInstance ? frame.Fields : new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default));
            BindParameters(callee, method.OriginalDefinition.Parameters, arguments.ToDictionary<KeyValuePair<IParameterSymbol, Value?>, IParameterSymbol, Value?>(a => a.Key.OriginalDefinition, a => a.Value, SymbolEqualityComparer.Default));
            RunBody(method.OriginalDefinition, BodyOf(method), callee);
            return callee.Returned;
        }

        private Value? EvalCreation(IObjectCreationOperation creation, Frame frame)
        {
            var arguments = creation.Arguments
                .Where(a => a.Parameter is not null)
                .ToDictionary<IArgumentOperation, IParameterSymbol, Value?>(a => a.Parameter!, a => Eval(a.Value, frame), SymbolEqualityComparer.Default);

            if (creation.Type is INamedTypeSymbol type && torch.IsCustomTensorModule(type))
            {
                return Instantiate(type, creation.Constructor, arguments);
            }

            if (!HoldsModules(creation.Type))
            {
                return null;
            }

            var collection = new ModuleValue(arguments.Values.OfType<ModuleValue>().SelectMany(m => m.Nodes));
            if (creation.Initializer is not null)
            {
                foreach (var element in creation.Initializer.Initializers)
                {
                    var added = element is IInvocationOperation add ? add.Arguments.Select(a => Eval(a.Value, frame)) : new[] { Eval(element, frame) };
                    AppendModules(collection, added, asElements: true);
                }
            }

            return collection;
        }

        /// <summary>A collection type whose elements are modules or (name, module) pairs.</summary>
        private bool HoldsModules(ITypeSymbol? type) =>
            type is INamedTypeSymbol { IsGenericType: true } generic
            && generic.TypeArguments.Any(t => torch.IsModuleType(t) || t is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.Any(e => torch.IsModuleType(e.Type)));

        private Value? EvalBinary(IBinaryOperation binary, Frame frame)
        {
            var left = Eval(binary.LeftOperand, frame);
            var right = Eval(binary.RightOperand, frame);
            if (left is IntValue a && right is IntValue b)
            {
                return binary.OperatorKind switch
                {
                    BinaryOperatorKind.Add => new IntValue(a.Number + b.Number),
                    BinaryOperatorKind.Subtract => new IntValue(a.Number - b.Number),
                    BinaryOperatorKind.Multiply => new IntValue(a.Number * b.Number),
                    BinaryOperatorKind.Divide when b.Number != 0 => new IntValue(a.Number / b.Number),
                    _ => null,
                };
            }

            var tensors = new[] { left, right }.OfType<TensorValue>().ToList();
            return binary.OperatorKind switch
            {
                BinaryOperatorKind.Add => Merge(tensors, isAddition: true),
                BinaryOperatorKind.Multiply => Gate(tensors),
                _ => Merge(tensors, isAddition: false),
            };
        }

        /// <summary>
        /// Tensors joining again. An addition is a skip connection only when one side is the shared input itself or a
        /// shortcut (at most one weight layer, nothing saturating): <c>x + f(x)</c>, <c>proj(x) + f(x)</c>.
        /// Other joins (<c>f(x) + g(x)</c>, <c>cat</c>) are parallel paths that each carry the gradient.
        /// </summary>
        private static TensorValue? Merge(List<TensorValue> tensors, bool isAddition)
        {
            if (tensors.Count <= 1)
            {
                return tensors.FirstOrDefault();
            }

            var shared = tensors.Skip(1).Aggregate(tensors[0].Path.Length, (length, t) => System.Math.Min(length, CommonPrefixLength(tensors[0].Path, t.Path)));
            var branches = tensors.Select(t => t.Path.RemoveRange(0, shared)).ToImmutableArray();
            if (branches.All(b => b.IsEmpty))
            {
                return tensors[0];
            }

            var isSkip = isAddition && branches.Length == 2 && branches.Any(IsShortcut);
            return new TensorValue(tensors[0].Path.RemoveRange(shared, tensors[0].Path.Length - shared).Add(new BranchNode(branches, isSkip)));
        }

        private static bool IsShortcut(ImmutableArray<Node> branch) =>
            PathMetrics.EffectiveDepth(branch) <= 1 && PathMetrics.LongestSaturatingRun(branch) == 0;

        /// <summary>
        /// A product where one side ends in a saturating activation is a gate (squeeze-excitation, GLU): the signal
        /// path is the other side, and the gate's sigmoid is not part of a stack.
        /// </summary>
        private static TensorValue? Gate(List<TensorValue> tensors)
        {
            if (tensors.Count != 2)
            {
                return Merge(tensors, isAddition: false);
            }

            var shared = CommonPrefixLength(tensors[0].Path, tensors[1].Path);
            if (EndsSaturating(tensors[1].Path, shared))
            {
                return tensors[0];
            }

            return EndsSaturating(tensors[0].Path, shared) ? tensors[1] : Merge(tensors, isAddition: false);
        }

        private static bool EndsSaturating(ImmutableArray<Node> path, int shared) =>
            path.Length > shared && path[path.Length - 1] is LayerNode { Kind: LayerKind.SaturatingActivation };

        private void ApplyInit(IInvocationOperation call, Frame frame)
        {
            var target = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
            if (InitCalls.Classify(call) is { } init && target is not null && Eval(target.Value, frame) is WeightValue weight)
            {
                foreach (var layer in weight.Layers)
                {
                    layer.Init = init;
                }
            }
        }
    }
}
