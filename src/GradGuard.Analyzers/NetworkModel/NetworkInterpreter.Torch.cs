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
        [MethodImpl(HotPaths.Optimized)]
        private Value? EvalTorchSharpCall(IInvocationOperation invocation, Value? receiver, Arguments arguments, Frame frame)
        {
            var method = invocation.TargetMethod;
            var name = method.Name;
            if (torch.IsNnFactory(method, "Sequential") || torch.IsNnFactory(method, "ModuleList"))
            {
                return BuildContainer(invocation, arguments.Values);
            }

            if (SymbolEqualityComparer.Default.Equals(method.ContainingType, torch.Nn) && torch.IsModuleType(method.ReturnType))
            {
                var kind = torch.KindOfModuleType(method.ReturnType) ?? LayerKind.Neutral;
                var shape = kind == LayerKind.Weight ? LayerShapes.Of(method, arguments) : null;
                return new ModuleValue(new[] { new LayerNode(kind, name, method.ReturnType, invocation.Syntax, shape) });
            }

            if (receiver is WeightValue weight)
            {
                if (InitCalls.IsInPlaceInit(name))
                {
                    ApplyInit(invocation, weight, frame);
                    return receiver;
                }

                return name == "dim" && weight.Dimensions is { } dimensions ? ConstantValue.Of(dimensions) : null;
            }

            if (receiver is ModuleValue module && ModuleCall(name, module, arguments.Values) is { } result)
            {
                return result is TensorValue path && invocation.Type is INamedTypeSymbol { IsTupleType: true } tuple ? TensorsIn(tuple, path) : result;
            }

            var tensors = Tensors(receiver, arguments.Values);
            if (tensors.Count == 0 || !torch.IsTensor(method.ReturnType))
            {
                return name is "forward" or "call" ? Opaque(invocation, receiver, arguments.Values) : null;
            }

            var output = torch.KindOfFunction(method) is { } functionKind
                ? tensors[0].Then(new[] { new LayerNode(functionKind, name, null, invocation.Syntax) })
                : name switch
                {
                    "add" or "add_" => Merge(tensors, JoinKind.Skip),
                    "mul" or "mul_" => Gate(tensors),
                    "forward" or "call" => tensors[0].Then(new[] { new LayerNode(LayerKind.Opaque, name, null, invocation.Syntax) }),
                    _ => Merge(tensors, JoinKind.Parallel),
                };
            if (name.EndsWith("_", System.StringComparison.Ordinal) && invocation.Instance is ILocalReferenceOperation or IParameterReferenceOperation or IMemberReferenceOperation)
            {
                // In place: x.add_(y) changes x itself, whether or not its result is used.
                Store(invocation.Instance, output, frame);
            }

            return output;
        }

        /// <summary>A module's output where it returns a tuple: the same path in each of its tensors.</summary>
        private TupleValue TensorsIn(INamedTypeSymbol tuple, TensorValue path) =>
            new(tuple.TupleElements.Select(e => torch.IsTensor(e.Type) ? path : null));

        /// <summary>Methods of a module value: calls, container appends, enumerations of its parts, and the ones that return it.</summary>
        private Value? ModuleCall(string name, ModuleValue module, IReadOnlyList<Value?> arguments)
        {
            switch (name)
            {
                case "forward" or "call":
                    return CallModule(module, arguments);
                case "append" or "Add" or "insert" or "Insert":
                    AppendModules(module, arguments.Where(a => a is not ConstantValue), asElements: true);
                    return module;
                case "extend" or "AddRange":
                    AppendModules(module, arguments, asElements: false);
                    return module;
                case "modules" or "named_modules" or "children" or "named_children" or "parameters" or "named_parameters":
                    return new SequenceValue(Parts(name, module));
                case "apply":
                    foreach (var part in Parts("modules", module))
                    {
                        Invoke(arguments.ElementAtOrDefault(0), new[] { part });
                    }

                    return module;
                case "to" or "cuda" or "cpu" or "train" or "eval" or "half" or "@float" or "@double" or "requires_grad_":
                    return module;
                default:
                    return null;
            }
        }

        /// <summary>A module called on tensors: its path follows theirs (several inputs are taken in parallel).</summary>
        private static Value? CallModule(ModuleValue module, IReadOnlyList<Value?> arguments)
        {
            var tensors = Tensors(receiver: null, arguments);
            return tensors.Count == 0 ? null : Merge(tensors, JoinKind.Parallel)!.Then(module.Nodes);
        }

        /// <summary>
        /// What <c>modules()</c> or <c>parameters()</c> yields, grouped: every custom block instance, and the layers of each
        /// TorchSharp type together, so an init loop's type tests (<c>m is Conv2d conv</c>, <c>case Linear l</c>) are decided
        /// once per type; parameters come as each type's weights and one group of biases, told apart by name and dimension.
        /// </summary>
        private static IEnumerable<Value?> Parts(string enumeration, ModuleValue module)
        {
            var named = enumeration.StartsWith("named_", System.StringComparison.Ordinal);
            var groups = module.AllLayers().Where(l => l.ModuleType is not null).GroupBy(l => l.ModuleType!, SymbolEqualityComparer.Default).ToList();
            if (enumeration.EndsWith("parameters", System.StringComparison.Ordinal))
            {
                var parameters = groups.Select(g => new WeightValue(g, "weight", LayerShapes.WeightDimensions(g.Key!.Name)))
                    .Append(new WeightValue(Enumerable.Empty<LayerNode>(), "bias", 1));
                return parameters.Select(p => (Value?)(named ? new TupleValue(new Value?[] { new ParameterNameValue(p.Leaf), p }) : p)).ToList();
            }

            var parts = module.Instances().Cast<Value>().Concat(groups.Select(g => new ModuleValue(g)));
            return parts.Select(p => (Value?)(named ? new TupleValue(new Value?[] { null, p }) : p)).ToList();
        }

        private ModuleValue BuildContainer(IInvocationOperation invocation, IEnumerable<Value?> arguments)
        {
            var container = new ModuleValue(Enumerable.Empty<Node>(), invocation);
            foreach (var argument in arguments)
            {
                // The elements are copied at the call: a list changed afterwards does not change the Sequential.
                if (AsModule(argument) is { } modules && !ReferenceEquals(modules, container))
                {
                    modules.IsNested = true;
                    if (modules.Type is null)
                    {
                        container.Nodes.AddRange(modules.Nodes);
                        container.AddSubmodules(modules.Submodules);
                    }
                    else
                    {
                        container.Nodes.Add(Nest(container, modules));
                    }
                }
            }

            if (instantiationDepth == 0 && torch.IsNnFactory(invocation.TargetMethod, "Sequential"))
            {
                builtOutsideModules.Add(container);
            }

            return container;
        }

        [MethodImpl(HotPaths.Optimized)]
        private static void AppendModules(ModuleValue container, IEnumerable<Value?> values, bool asElements)
        {
            // Taken before the first is appended: the values may be the container's own elements.
            var modules = new List<ModuleValue>();
            foreach (var value in values)
            {
                if (AsModule(value) is { } found)
                {
                    modules.Add(found);
                }
            }

            foreach (var module in modules)
            {
                if (ReferenceEquals(module, container))
                {
                    continue;
                }

                if (asElements)
                {
                    container.Nodes.Add(Nest(container, module));
                }
                else
                {
                    module.IsNested = true;
                    container.Nodes.AddRange(module.Nodes);
                    if (module.Type is null)
                    {
                        container.AddSubmodules(module.Submodules);
                    }
                    else
                    {
                        container.AddSubmodule(module);
                    }
                }
            }
        }

        /// <summary>A module placed into a container: one element, and no longer a network of its own.</summary>
        private static Node Nest(ModuleValue container, ModuleValue module)
        {
            module.IsNested = true;
            if (module.Type is not null)
            {
                container.AddSubmodule(module);
            }
            else
            {
                container.AddSubmodules(module.Submodules);
            }

            return module.AsElement();
        }

        /// <summary>A module, or the module of a <c>(name, module)</c> pair.</summary>
        private static ModuleValue? AsModule(Value? value) => value switch
        {
            ModuleValue module => module,
            TupleValue tuple => tuple.Elements.OfType<ModuleValue>().LastOrDefault(),
            _ => null,
        };

        /// <summary>The tensors a call is given, its receiver's first: single ones, and those in lists and tuples.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private static List<TensorValue> Tensors(Value? receiver, IReadOnlyList<Value?> arguments)
        {
            var tensors = new List<TensorValue>();
            AddTensors(tensors, receiver);
            // By index: a foreach over the interface would allocate an enumerator for every call the interpreter meets.
            for (var index = 0; index < arguments.Count; index++)
            {
                AddTensors(tensors, arguments[index]);
            }

            return tensors;
        }

        private static void AddTensors(List<TensorValue> tensors, Value? value)
        {
            switch (value)
            {
                case TensorValue tensor:
                    tensors.Add(tensor);
                    break;
                case SequenceValue sequence:
                    tensors.AddRange(sequence.Elements.OfType<TensorValue>());
                    break;
                case TupleValue tuple:
                    tensors.AddRange(tuple.Elements.OfType<TensorValue>());
                    break;
            }
        }

        /// <summary>An init call (<c>init.kaiming_normal_(w)</c>, <c>w.normal_(0, 0.02)</c>) on the weights it reaches.</summary>
        private void ApplyInit(IInvocationOperation call, Value? target, Frame frame)
        {
            if (target is WeightValue weight && InitCalls.Classify(call, operation => (Eval(operation, frame) as ConstantValue)?.AsDouble) is { } init)
            {
                foreach (var layer in weight.Layers)
                {
                    SetInit(layer, init);
                }
            }
        }

        /// <summary>
        /// Tensors joining again. An addition is a skip connection only when one side is the shared input itself or a
        /// shortcut (at most one weight layer, nothing saturating): <c>x + f(x)</c>, <c>proj(x) + f(x)</c>. Other
        /// joins (<c>f(x) + g(x)</c>, <c>cat</c>) are parallel paths that each carry the gradient; alternatives are
        /// paths of which one runs.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private static TensorValue? Merge(List<TensorValue> tensors, JoinKind kind)
        {
            if (tensors.Count <= 1)
            {
                return tensors.FirstOrDefault();
            }

            var shared = tensors[0].Path.Length;
            foreach (var tensor in tensors)
            {
                shared = System.Math.Min(shared, CommonPrefixLength(tensors[0].Path, tensor.Path));
            }

            var branches = tensors.Select(t => t.Path.RemoveRange(0, shared)).Distinct(PathComparer.Instance).ToImmutableArray();
            if (branches.All(b => b.IsEmpty) || branches.Length == 1)
            {
                return tensors[0];
            }

            if (kind == JoinKind.Skip && !(branches.Length == 2 && branches.Any(IsShortcut)))
            {
                kind = JoinKind.Parallel;
            }

            return new TensorValue(tensors[0].Path.RemoveRange(shared, tensors[0].Path.Length - shared).Add(new BranchNode(branches, kind)));
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
                return Merge(tensors, JoinKind.Parallel);
            }

            var shared = CommonPrefixLength(tensors[0].Path, tensors[1].Path);
            if (EndsSaturating(tensors[1].Path, shared))
            {
                return tensors[0];
            }

            return EndsSaturating(tensors[0].Path, shared) ? tensors[1] : Merge(tensors, JoinKind.Parallel);
        }

        private static bool EndsSaturating(ImmutableArray<Node> path, int shared) =>
            path.Length > shared && path[path.Length - 1] is LayerNode { Kind: LayerKind.SaturatingActivation };
    }
}
