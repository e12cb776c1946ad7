using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>Measures over a forward path that the rules are written in.</summary>
    internal static class PathMetrics
    {
        /// <summary>Above this, counts stop growing: every threshold is far below it and nothing overflows.</summary>
        private const long Saturation = 1_000_000;

        /// <summary>The fewest weight layers on any input-to-output path: a skip connection's shortcut counts, so residual stacks are shallow.</summary>
        public static long EffectiveDepth(ImmutableArray<Node> path)
        {
            long depth = 0;
            foreach (var node in path)
            {
                depth = Cap(depth + node switch
                {
                    LayerNode { Kind: LayerKind.Weight } => 1,
                    RepeatNode repeat => Cap(repeat.Count * EffectiveDepth(repeat.Body)),
                    BranchNode branch => branch.Paths.Min(EffectiveDepth),
                    _ => 0,
                });
            }

            return depth;
        }

        /// <summary>The longest run of saturating activations with no normalisation layer or skip connection between them.</summary>
        public static long LongestSaturatingRun(ImmutableArray<Node> path) => Summarize(path).Longest;

        /// <summary>
        /// The saturating activations that lie inside the path itself, not the last layer when it is one: an output
        /// Sigmoid or Tanh maps to a range the task needs and is not part of a stack.
        /// </summary>
        public static ImmutableArray<Node> WithoutOutputActivation(ImmutableArray<Node> path) =>
            path.Length > 0 && path[path.Length - 1] is LayerNode { Kind: LayerKind.SaturatingActivation }
                ? path.RemoveAt(path.Length - 1)
                : path;

        /// <summary>
        /// Weight layers whose output goes, through only shape or normalisation layers, into a ReLU-family activation,
        /// with how many times each runs (a layer built in a 50-step loop counts 50 times).
        /// </summary>
        public static IReadOnlyDictionary<LayerNode, long> ReluFedWeightLayers(ImmutableArray<Node> path)
        {
            var found = new Dictionary<LayerNode, long>();
            Walk(path, ImmutableHashSet<LayerNode>.Empty, 1, found);
            return found;
        }

        private static ImmutableHashSet<LayerNode> Walk(ImmutableArray<Node> path, ImmutableHashSet<LayerNode> pending, long multiplicity, Dictionary<LayerNode, long> found)
        {
            foreach (var node in path)
            {
                switch (node)
                {
                    case LayerNode { Kind: LayerKind.Weight } layer:
                        pending = ImmutableHashSet.Create(layer);
                        break;
                    case LayerNode { Kind: LayerKind.ReluActivation }:
                        foreach (var layer in pending)
                        {
                            found.TryGetValue(layer, out var count);
                            found[layer] = Cap(count + multiplicity);
                        }

                        pending = ImmutableHashSet<LayerNode>.Empty;
                        break;
                    case LayerNode { Kind: LayerKind.SaturatingActivation or LayerKind.OtherActivation }:
                        pending = ImmutableHashSet<LayerNode>.Empty;
                        break;
                    case RepeatNode repeat:
                        pending = Walk(repeat.Body, pending, Cap(multiplicity * repeat.Count), found);
                        if (repeat.Count > 1)
                        {
                            // One more pass, counting nothing, finds a layer at the end of the body that feeds a ReLU at its start.
                            pending = Walk(repeat.Body, pending, 0, found);
                        }

                        break;
                    case BranchNode branch:
                        var start = pending;
                        pending = branch.Paths.Aggregate(ImmutableHashSet<LayerNode>.Empty, (merged, branchPath) => merged.Union(Walk(branchPath, start, multiplicity, found)));
                        break;
                }
            }

            return pending;
        }

        private static RunSummary Summarize(ImmutableArray<Node> path) =>
            path.Aggregate(RunSummary.Empty, (summary, node) => summary.Then(Summarize(node)));

        private static RunSummary Summarize(Node node) => node switch
        {
            LayerNode { Kind: LayerKind.SaturatingActivation } => RunSummary.Unbroken(1),
            LayerNode { Kind: LayerKind.Normalization } => RunSummary.Break(0),
            RepeatNode repeat => Summarize(repeat.Body).Repeated(repeat.Count),
            BranchNode { IsSkip: true } skip => RunSummary.Break(skip.Paths.Max(p => Summarize(p).Longest)),
            BranchNode parallel => RunSummary.Parallel(parallel.Paths.Select(Summarize)),
            _ => RunSummary.Empty,
        };

        private static long Cap(long value) => Math.Min(value, Saturation);

        /// <summary>
        /// Runs of a stretch of path, composable: the run it starts with, the run it ends with, the longest inside,
        /// and whether anything breaks it (when nothing does, the whole stretch is one run).
        /// </summary>
        private readonly struct RunSummary
        {
            private RunSummary(bool broken, long leading, long trailing, long longest)
            {
                IsBroken = broken;
                Leading = leading;
                Trailing = trailing;
                Longest = longest;
            }

            public static RunSummary Empty => Unbroken(0);

            public bool IsBroken { get; }

            public long Leading { get; }

            public long Trailing { get; }

            public long Longest { get; }

            public static RunSummary Unbroken(long length) => new(false, length, length, length);

            public static RunSummary Break(long longestInside) => new(true, 0, 0, longestInside);

            public static RunSummary Parallel(IEnumerable<RunSummary> paths)
            {
                var all = paths.ToList();
                var unbroken = all.Where(p => !p.IsBroken).ToList();
                if (unbroken.Count > 0 && unbroken.Count == all.Count)
                {
                    return Unbroken(unbroken.Max(p => p.Leading));
                }

                return new RunSummary(
                    unbroken.Count == 0,
                    all.Max(p => p.Leading),
                    all.Max(p => p.Trailing),
                    all.Max(p => p.Longest));
            }

            public RunSummary Then(RunSummary next)
            {
                var joined = Cap(Trailing + next.Leading);
                return new RunSummary(
                    IsBroken || next.IsBroken,
                    IsBroken ? Leading : Cap(Leading + next.Leading),
                    next.IsBroken ? next.Trailing : Cap(Trailing + next.Trailing),
                    Math.Max(Math.Max(Longest, next.Longest), joined));
            }

            public RunSummary Repeated(long count)
            {
                if (count <= 0)
                {
                    return Empty;
                }

                if (!IsBroken)
                {
                    return Unbroken(Cap(Leading * count));
                }

                return count == 1 ? this : new RunSummary(true, Leading, Trailing, Math.Max(Longest, Cap(Trailing + Leading)));
            }
        }
    }
}
