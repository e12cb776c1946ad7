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
        public static long LongestSaturatingRun(ImmutableArray<Node> path) => Runs.Scan(path, SaturatingRole, long.MaxValue).Longest;

        /// <summary>GG0001's runs: saturating activations extend them, normalisation and anything opaque end them.</summary>
        public static RunRole SaturatingRole(LayerNode layer) => layer.Kind switch
        {
            LayerKind.SaturatingActivation => RunRole.Member,
            LayerKind.Normalization or LayerKind.Opaque => RunRole.Break,
            _ => RunRole.Neutral,
        };

        /// <summary>
        /// The saturating activations that lie inside the path itself, not the last layer when it is one: an output
        /// Sigmoid or Tanh maps to a range the task needs and is not part of a stack.
        /// </summary>
        public static ImmutableArray<Node> WithoutOutputActivation(ImmutableArray<Node> path) =>
            path.Length > 0 && path[path.Length - 1] is LayerNode { Kind: LayerKind.SaturatingActivation }
                ? path.RemoveAt(path.Length - 1)
                : path;

        /// <summary>
        /// Weight layers whose output goes, through only shape or normalisation layers (or the merge of a skip
        /// connection), into a ReLU-family activation somewhere on the path.
        /// </summary>
        public static ISet<LayerNode> ReluFedWeightLayers(ImmutableArray<Node> path)
        {
            var found = new HashSet<LayerNode>();
            Walk(path, ImmutableHashSet<LayerNode>.Empty, found);
            return found;
        }

        private static ImmutableHashSet<LayerNode> Walk(ImmutableArray<Node> path, ImmutableHashSet<LayerNode> pending, HashSet<LayerNode> found)
        {
            foreach (var node in path)
            {
                switch (node)
                {
                    case LayerNode { Kind: LayerKind.Weight } layer:
                        pending = ImmutableHashSet.Create(layer);
                        break;
                    case LayerNode { Kind: LayerKind.ReluActivation }:
                        found.UnionWith(pending);
                        pending = ImmutableHashSet<LayerNode>.Empty;
                        break;
                    case LayerNode { Kind: LayerKind.SaturatingActivation or LayerKind.OtherActivation or LayerKind.Opaque }:
                        pending = ImmutableHashSet<LayerNode>.Empty;
                        break;
                    case RepeatNode repeat:
                        pending = Walk(repeat.Body, pending, found);
                        if (repeat.Count > 1)
                        {
                            // A second pass finds a layer at the end of the body that feeds a ReLU at its start.
                            pending = Walk(repeat.Body, pending, found);
                        }

                        break;
                    case BranchNode branch:
                        var start = pending;
                        pending = branch.Paths.Aggregate(ImmutableHashSet<LayerNode>.Empty, (merged, branchPath) => merged.Union(Walk(branchPath, start, found)));
                        break;
                }
            }

            return pending;
        }

        private static long Cap(long value) => Math.Min(value, Saturation);

        /// <summary>
        /// Runs of consecutive members on a path, the logic GG0001 and GG0002 share: a member extends the current run, a
        /// break ends it, a skip connection ends it on both sides (runs inside its paths count on their own), parallel
        /// paths carry it on along the longest of them and alternatives along the shortest. A stretch repeated n times
        /// counts n times without being unrolled.
        /// </summary>
        public sealed class Runs
        {
            private readonly Func<LayerNode, RunRole> role;
            private readonly long threshold;

            private Runs(Func<LayerNode, RunRole> role, long threshold)
            {
                this.role = role;
                this.threshold = threshold;
            }

            /// <summary>The longest run on the path.</summary>
            public long Longest { get; private set; }

            /// <summary>The members of runs at least as long as the threshold, each with the longest such run it is in.</summary>
            public Dictionary<LayerNode, long> MembersOfLongRuns { get; } = new();

            public static Runs Scan(ImmutableArray<Node> path, Func<LayerNode, RunRole> role, long threshold)
            {
                var runs = new Runs(role, threshold);
                runs.End(runs.Walk(path, Run.Empty));
                return runs;
            }

            private Run Walk(ImmutableArray<Node> path, Run run)
            {
                foreach (var node in path)
                {
                    run = node switch
                    {
                        LayerNode layer => Step(layer, run),
                        RepeatNode repeat => Repeat(repeat, run),
                        BranchNode { Kind: JoinKind.Skip } skip => Skip(skip, run),
                        BranchNode branch => Branch(branch, run),
                        _ => run,
                    };
                }

                return run;
            }

            private Run Step(LayerNode layer, Run run)
            {
                switch (role(layer))
                {
                    case RunRole.Member:
                        return run.With(layer, 1);
                    case RunRole.Break:
                        End(run);
                        return Run.Empty;
                    default:
                        return run;
                }
            }

            private Run Repeat(RepeatNode repeat, Run run)
            {
                if (repeat.Count <= 0)
                {
                    return run;
                }

                if (repeat.Count > 1 && Unbroken(repeat.Body) is { } members)
                {
                    var extended = run;
                    foreach (var member in members)
                    {
                        extended = extended.With(member, 0);
                    }

                    return extended.Longer(Cap(repeat.Count * members.Count));
                }

                var afterFirst = Walk(repeat.Body, run);

                // A second pass joins the run the body ends with to the one it starts with in the next iteration.
                return repeat.Count > 1 ? Walk(repeat.Body, afterFirst) : afterFirst;
            }

            private Run Skip(BranchNode skip, Run run)
            {
                End(run);
                foreach (var path in skip.Paths)
                {
                    End(Walk(path, Run.Empty));
                }

                return Run.Empty;
            }

            private Run Branch(BranchNode branch, Run run)
            {
                var outs = branch.Paths.Select(p => Walk(p, run)).ToList();
                return branch.Kind == JoinKind.Alternative
                    ? outs.Aggregate((a, b) => b.Length < a.Length ? b : a)
                    : outs.Aggregate((a, b) => b.Length > a.Length ? b : a);
            }

            /// <summary>The members of a stretch with nothing in it that ends a run (nested stretches included); null if something does.</summary>
            private List<LayerNode>? Unbroken(ImmutableArray<Node> body)
            {
                var members = new List<LayerNode>();
                foreach (var node in body)
                {
                    switch (node)
                    {
                        case LayerNode layer when role(layer) == RunRole.Member:
                            members.Add(layer);
                            break;
                        case LayerNode layer when role(layer) == RunRole.Break:
                            return null;
                        case RepeatNode or BranchNode:
                            return null;
                    }
                }

                return members;
            }

            private void End(Run run)
            {
                Longest = Math.Max(Longest, run.Length);
                if (run.Length < threshold)
                {
                    return;
                }

                for (var member = run.Members; member is not null; member = member.Next)
                {
                    MembersOfLongRuns[member.Layer] = MembersOfLongRuns.TryGetValue(member.Layer, out var known) ? Math.Max(known, run.Length) : run.Length;
                }
            }

            /// <summary>A run so far: its length and its members, as a list shared between the runs that extend it.</summary>
            private readonly struct Run
            {
                private Run(long length, MemberList? members)
                {
                    Length = length;
                    Members = members;
                }

                public static Run Empty => default;

                public long Length { get; }

                public MemberList? Members { get; }

                public Run With(LayerNode layer, long added) => new(Cap(Length + added), new MemberList(layer, Members));

                public Run Longer(long added) => new(Cap(Length + added), Members);
            }

            private sealed class MemberList
            {
                public MemberList(LayerNode layer, MemberList? next)
                {
                    Layer = layer;
                    Next = next;
                }

                public LayerNode Layer { get; }

                public MemberList? Next { get; }
            }
        }
    }

    /// <summary>What a layer does to a run of the kind a rule counts.</summary>
    internal enum RunRole
    {
        /// <summary>Passes it on: dropout, pooling, shape layers, activations the rule is not about.</summary>
        Neutral,

        /// <summary>Extends it by one.</summary>
        Member,

        /// <summary>Ends it.</summary>
        Break,
    }
}
