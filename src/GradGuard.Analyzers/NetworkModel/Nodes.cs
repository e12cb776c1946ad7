using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>One step of a network's forward path.</summary>
    internal abstract class Node
    {
        /// <summary>The node's effective depth once measured: a node is shared by every path that reaches it.</summary>
        internal long? MeasuredDepth { get; set; }
    }

    /// <summary>
    /// A layer or a functional call. Identity matters: the same module object reached twice (a list copied into a
    /// <c>Sequential</c>, a field called in <c>forward</c>) is the same node, so an init call on it is seen everywhere.
    /// </summary>
    internal sealed class LayerNode : Node
    {
        public LayerNode(LayerKind kind, string name, ITypeSymbol? moduleType, SyntaxNode? origin, WeightShape? shape = null)
        {
            Kind = kind;
            Name = name;
            ModuleType = moduleType;
            Origin = origin;
            Shape = shape;
        }

        public LayerKind Kind { get; }

        /// <summary>TorchSharp's name for it: <c>Linear</c>, <c>Sigmoid</c>, <c>tanh</c>...</summary>
        public string Name { get; }

        /// <summary>The module type for modules; null for functional calls.</summary>
        public ITypeSymbol? ModuleType { get; }

        /// <summary>The call that builds the layer (or applies the function): where a fix goes.</summary>
        public SyntaxNode? Origin { get; }

        /// <summary>How the weight is initialised, as far as the source says; only weight layers have one that matters.</summary>
        public WeightInit Init { get; set; } = WeightInit.TorchSharpDefault;

        /// <summary>The weight's fan-in and fan-out, when the layer's sizes are known: what an init's scale is judged against.</summary>
        public WeightShape? Shape { get; }
    }

    /// <summary>
    /// A stretch of path repeated <see cref="Count"/> times: a constant-bound loop that appends layers is kept as one
    /// body and a count rather than unrolled. A count of 1 groups a block's layers into one list element.
    /// </summary>
    internal sealed class RepeatNode : Node
    {
        public RepeatNode(ImmutableArray<Node> body, long count)
        {
            Body = body;
            Count = count;
        }

        public ImmutableArray<Node> Body { get; }

        public long Count { get; }
    }

    /// <summary>How the paths of a <see cref="BranchNode"/> relate.</summary>
    internal enum JoinKind
    {
        /// <summary>A residual addition, <c>x + f(x)</c>: the identity (or a shortcut) carries the gradient round the other path.</summary>
        Skip,

        /// <summary>Paths that all run and merge: a concatenation, or the sum of two deep branches.</summary>
        Parallel,

        /// <summary>
        /// Paths of which one runs, chosen by a condition the source does not decide (a flag known only at run time):
        /// the rules count only what every alternative has.
        /// </summary>
        Alternative,
    }

    /// <summary>Paths that split and merge again.</summary>
    internal sealed class BranchNode : Node
    {
        public BranchNode(ImmutableArray<ImmutableArray<Node>> paths, JoinKind kind)
        {
            Paths = paths;
            Kind = kind;
        }

        public ImmutableArray<ImmutableArray<Node>> Paths { get; }

        public JoinKind Kind { get; }

        public bool IsSkip => Kind == JoinKind.Skip;
    }

    internal static class NodeTraversal
    {
        /// <summary>Every distinct layer inside the nodes, nested bodies and branches included.</summary>
        public static IEnumerable<LayerNode> Layers(IEnumerable<Node> nodes)
        {
            var seen = new HashSet<Node>();
            var pending = new Stack<Node>(nodes);
            while (pending.Count > 0)
            {
                var node = pending.Pop();
                if (!seen.Add(node))
                {
                    continue;
                }

                switch (node)
                {
                    case LayerNode layer:
                        yield return layer;
                        break;
                    case RepeatNode repeat:
                        PushAll(pending, repeat.Body);
                        break;
                    case BranchNode branch:
                        foreach (var path in branch.Paths)
                        {
                            PushAll(pending, path);
                        }

                        break;
                }
            }
        }

        private static void PushAll(Stack<Node> stack, ImmutableArray<Node> nodes)
        {
            foreach (var node in nodes)
            {
                stack.Push(node);
            }
        }
    }
}
