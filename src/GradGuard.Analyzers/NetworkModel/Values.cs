using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>What the interpreter knows about a variable, field or expression. No value (null) means unknown.</summary>
    internal abstract class Value
    {
    }

    /// <summary>A number, boolean, string or null known at compile time: loop bounds, widths, flags, config keys.</summary>
    internal sealed class ConstantValue : Value
    {
        public static readonly ConstantValue Null = new(null);
        public static readonly ConstantValue True = new(true);
        public static readonly ConstantValue False = new(false);

        /// <summary>
        /// The numbers layer code is full of (widths, counts, strides, indices), made once: every literal the interpreter
        /// meets would otherwise be a new value around a new boxed number.
        /// </summary>
        private static readonly ConstantValue[] SmallNumbers = Enumerable.Range(0, 1025).Select(number => new ConstantValue((long)number)).ToArray();

        private ConstantValue(object? value) => Value = value;

        /// <summary>A <c>long</c>, <c>double</c>, <c>bool</c>, <c>string</c> or null: every integer type is widened to long.</summary>
        public object? Value { get; }

        public static ConstantValue Of(long number) => number >= 0 && number < SmallNumbers.Length ? SmallNumbers[number] : new(number);

        public static ConstantValue Of(double number) => new(number);

        public static ConstantValue Of(bool flag) => flag ? True : False;

        public static ConstantValue Of(string text) => new(text);

        public long? AsLong => Value switch
        {
            long number => number,
            double number when number == System.Math.Floor(number) && System.Math.Abs(number) < long.MaxValue => (long)number,
            _ => null,
        };

        public double? AsDouble => Value switch
        {
            long number => number,
            double number => number,
            _ => null,
        };

        public bool? AsBool => Value is bool flag ? flag : null;

        public bool IsNull => Value is null;

        public bool SameAs(ConstantValue other) => Equals(Value, other.Value);
    }

    /// <summary>
    /// A module, or a collection of modules (<c>Sequential</c>, <c>List&lt;Module&gt;</c>, array, <c>ModuleList</c>):
    /// its layers in the order the input goes through them. Mutable, as lists and <c>Sequential.append</c> are. An
    /// instance of a custom module class also has the values of its fields, so code outside the class can reach
    /// <c>model.fc1.weight</c>, and its type, so <c>m is Bottleneck b</c> can be decided.
    /// </summary>
    internal sealed class ModuleValue : Value
    {
        private List<ModuleValue>? submodules;

        public ModuleValue(IEnumerable<Node> nodes, IOperation? builtBySequential = null)
        {
            Nodes = nodes.ToList();
            BuiltBySequential = builtBySequential;
        }

        private ModuleValue(INamedTypeSymbol instanceOf)
        {
            Nodes = new List<Node>();
            Type = instanceOf;
            Fields = new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default);
        }

        public List<Node> Nodes { get; }

        /// <summary>The <c>Sequential(...)</c> call that made it, when one did: a candidate network root.</summary>
        public IOperation? BuiltBySequential { get; }

        /// <summary>The custom module class this is an instance of; null for layers and containers.</summary>
        public INamedTypeSymbol? Type { get; }

        /// <summary>The instance's fields and auto-properties; null for layers and containers.</summary>
        public Dictionary<ISymbol, Value>? Fields { get; }

        /// <summary>Instances of custom module classes placed inside this one: what <c>modules()</c> lists beside the layers.</summary>
        /// <remarks>Most module values are single layers and never hold one, so the list is made for the first.</remarks>
        public IReadOnlyList<ModuleValue> Submodules => (IReadOnlyList<ModuleValue>?)submodules ?? System.Array.Empty<ModuleValue>();

        /// <summary>Placed inside another module, so the outer network is the one to report on.</summary>
        public bool IsNested { get; set; }

        public static ModuleValue InstanceOf(INamedTypeSymbol type) => new(type);

        public void AddSubmodule(ModuleValue module) => (submodules ??= new List<ModuleValue>()).Add(module);

        public void AddSubmodules(IEnumerable<ModuleValue> modules) => (submodules ??= new List<ModuleValue>()).AddRange(modules);

        public void ClearSubmodules() => submodules?.Clear();

        /// <summary>The module as one element of a list: a block of several layers stays one element.</summary>
        public Node AsElement() => Nodes.Count == 1 && Type is null ? Nodes[0] : new RepeatNode(Nodes.ToImmutableArray(), 1);

        /// <summary>The instances inside, this one included when it is one, nested ones first as <c>modules()</c> lists them.</summary>
        public IEnumerable<ModuleValue> Instances()
        {
            var seen = new HashSet<ModuleValue>();
            var pending = new Stack<ModuleValue>();
            pending.Push(this);
            while (pending.Count > 0)
            {
                var module = pending.Pop();
                if (!seen.Add(module))
                {
                    continue;
                }

                if (module.Type is not null)
                {
                    yield return module;
                }

                foreach (var inner in module.Submodules.Concat(module.Fields?.Values.OfType<ModuleValue>() ?? Enumerable.Empty<ModuleValue>()))
                {
                    pending.Push(inner);
                }
            }
        }

        /// <summary>Every layer the module holds: on its forward path, and in its fields and nested instances.</summary>
        public IEnumerable<LayerNode> AllLayers() =>
            NodeTraversal.Layers(Instances().Append(this).SelectMany(m => m.Nodes.Concat(m.Fields?.Values.OfType<ModuleValue>().SelectMany(f => f.Nodes) ?? Enumerable.Empty<Node>())));
    }

    /// <summary>A tensor inside <c>forward</c>: the nodes it went through since the block's input.</summary>
    internal sealed class TensorValue : Value
    {
        public static readonly TensorValue Input = new(ImmutableArray<Node>.Empty);

        public TensorValue(ImmutableArray<Node> path) => Path = path;

        public ImmutableArray<Node> Path { get; }

        public TensorValue Then(IEnumerable<Node> nodes) => new(Path.AddRange(nodes));
    }

    /// <summary>
    /// A parameter of one or more layers: their <c>weight</c>, what an init call changes, or their <c>bias</c>, which
    /// no rule judges. Loops over <c>parameters()</c> see both, told apart by <see cref="Leaf"/> and the dimension.
    /// </summary>
    internal sealed class WeightValue : Value
    {
        public WeightValue(IEnumerable<LayerNode> layers, string leaf = "weight", long? dimensions = null)
        {
            Layers = leaf == "weight" ? layers.Where(l => l.Kind == LayerKind.Weight).ToImmutableArray() : ImmutableArray<LayerNode>.Empty;
            Leaf = leaf;
            Dimensions = dimensions;
        }

        /// <summary>The weight layers whose weight this is; empty for biases and normalisation scales.</summary>
        public ImmutableArray<LayerNode> Layers { get; }

        /// <summary><c>weight</c> or <c>bias</c>: the last part of the parameter's name.</summary>
        public string Leaf { get; }

        /// <summary>The tensor's number of dimensions when the layers agree on it (<c>p.dim() &gt; 1</c> filters).</summary>
        public long? Dimensions { get; }
    }

    /// <summary>
    /// The name of a parameter from <c>named_parameters()</c>: only its last part (<c>weight</c>, <c>bias</c>) is known,
    /// enough for <c>name.EndsWith("weight")</c> and <c>name.Contains("bias")</c>.
    /// </summary>
    internal sealed class ParameterNameValue : Value
    {
        public ParameterNameValue(string leaf) => Leaf = leaf;

        public string Leaf { get; }
    }

    /// <summary>An array or list of anything but modules: channel counts, stage tables, tensors to concatenate.</summary>
    internal sealed class SequenceValue : Value
    {
        public SequenceValue(IEnumerable<Value?> elements) => Elements = elements.ToList();

        /// <summary>The elements in order; an unknown element is null. Mutable, as lists are.</summary>
        public List<Value?> Elements { get; }

        /// <summary>False once something was added that cannot be counted (a loop with an unknown bound).</summary>
        public bool IsComplete { get; set; } = true;
    }

    /// <summary>A tuple: <c>(64, 2)</c>, <c>("conv1", nn.Conv2d(...))</c>, a deconstructed <c>(name, module)</c> pair.</summary>
    internal sealed class TupleValue : Value
    {
        public TupleValue(IEnumerable<Value?> elements) => Elements = elements.ToImmutableArray();

        public ImmutableArray<Value?> Elements { get; }
    }

    /// <summary>An instance of a class, struct or record that is not a module: a stage configuration, a trainer.</summary>
    internal sealed class ObjectValue : Value
    {
        public Dictionary<ISymbol, Value> Fields { get; } = new(SymbolEqualityComparer.Default);
    }

    /// <summary>A dictionary with constant keys: VGG's configurations by name.</summary>
    internal sealed class DictionaryValue : Value
    {
        public List<KeyValuePair<ConstantValue, Value?>> Entries { get; } = new();

        /// <summary>The value under a known key; null when the key is missing or unknown.</summary>
        public Value? Lookup(Value? key) =>
            key is ConstantValue constant ? Entries.LastOrDefault(e => e.Key.SameAs(constant)).Value : null;

        public void Set(Value? key, Value? value)
        {
            if (key is ConstantValue constant)
            {
                Entries.RemoveAll(e => e.Key.SameAs(constant));
                Entries.Add(new KeyValuePair<ConstantValue, Value?>(constant, value));
            }
        }
    }

    /// <summary>A lambda with the frame it captures, or a method group with its receiver: a block factory, an init callback.</summary>
    internal sealed class DelegateValue : Value
    {
        public DelegateValue(IAnonymousFunctionOperation lambda, Frame captured)
        {
            Lambda = lambda;
            Captured = captured;
        }

        public DelegateValue(IMethodSymbol method, Value? receiver)
        {
            Method = method;
            Receiver = receiver;
        }

        public IAnonymousFunctionOperation? Lambda { get; }

        public Frame? Captured { get; }

        public IMethodSymbol? Method { get; }

        public Value? Receiver { get; }
    }
}
