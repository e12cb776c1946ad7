using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>What the interpreter knows about a variable, field or expression.</summary>
    internal abstract class Value
    {
    }

    /// <summary>
    /// A module or a collection of modules (<c>Sequential</c>, <c>List&lt;Module&gt;</c>, array, <c>ModuleList</c>):
    /// its layers in the order the input goes through them. Mutable, as lists and <c>Sequential.append</c> are.
    /// </summary>
    internal sealed class ModuleValue : Value
    {
        public ModuleValue(IEnumerable<Node> nodes, IOperation? builtBySequential = null)
        {
            Nodes = nodes.ToList();
            BuiltBySequential = builtBySequential;
        }

        public List<Node> Nodes { get; }

        /// <summary>The <c>Sequential(...)</c> call that made it, when one did: a candidate network root.</summary>
        public IOperation? BuiltBySequential { get; }

        /// <summary>Placed inside another module, so the outer network is the one to report on.</summary>
        public bool IsNested { get; set; }

        /// <summary>The module as one element of a list: a block of several layers stays one element.</summary>
        public Node AsElement() => Nodes.Count == 1 ? Nodes[0] : new RepeatNode(Nodes.ToImmutableArray(), 1);
    }

    /// <summary>A tensor inside <c>forward</c>: the nodes it went through since the block's input.</summary>
    internal sealed class TensorValue : Value
    {
        public TensorValue(ImmutableArray<Node> path) => Path = path;

        public ImmutableArray<Node> Path { get; }

        public TensorValue Then(IEnumerable<Node> nodes) => new(Path.AddRange(nodes));
    }

    /// <summary>The <c>weight</c> of one or more layers: what an init call changes.</summary>
    internal sealed class WeightValue : Value
    {
        public WeightValue(IEnumerable<LayerNode> layers) => Layers = layers.ToImmutableArray();

        public ImmutableArray<LayerNode> Layers { get; }
    }

    /// <summary>An integer known at compile time or from a constant argument: loop bounds, layer counts.</summary>
    internal sealed class IntValue : Value
    {
        public IntValue(long number) => Number = number;

        public long Number { get; }
    }
}
