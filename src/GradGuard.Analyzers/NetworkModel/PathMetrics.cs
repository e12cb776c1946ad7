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
        public const long Saturation = 1_000_000;

        /// <summary>The fewest weight layers on any input-to-output path: a skip connection's shortcut counts, so residual stacks are shallow.</summary>
        /// <remarks>
        /// Paths share their nodes (a DenseNet's concatenations nest every earlier feature map in every later one), so
        /// each stretch and branch is measured once and keeps its depth: walked as a tree, the path would be
        /// exponentially long.
        /// </remarks>
        public static long EffectiveDepth(ImmutableArray<Node> path)
        {
            long depth = 0;
            foreach (var node in path)
            {
                if (node is LayerNode layer)
                {
                    depth = Cap(depth + (layer.Kind == LayerKind.Weight ? 1 : 0));
                    continue;
                }

                node.MeasuredDepth ??= node switch
                {
                    RepeatNode repeat => Cap(repeat.Count * EffectiveDepth(repeat.Body)),
                    BranchNode branch => branch.Paths.Min(EffectiveDepth),
                    _ => 0,
                };
                depth = Cap(depth + node.MeasuredDepth.Value);
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
        public static ISet<LayerNode> ReluFedWeightLayers(ImmutableArray<Node> path) => WeightLayersFeeding(path, LayerKind.ReluActivation);

        /// <summary>
        /// Weight layers whose output goes, through only shape or normalisation layers (or the merge of a skip
        /// connection), into an activation of one of <paramref name="activations"/> somewhere on the path.
        /// </summary>
        public static ISet<LayerNode> WeightLayersFeeding(ImmutableArray<Node> path, params LayerKind[] activations)
        {
            var found = new HashSet<LayerNode>();
            new ActivationFeeding(found, activations).Walk(path, ImmutableHashSet<LayerNode>.Empty);
            return found;
        }

        /// <summary>Follows which weight layers' outputs are still on their way to an activation, each shared node once per state.</summary>
        private sealed class ActivationFeeding
        {
            private readonly HashSet<LayerNode> found;
            private readonly LayerKind[] activations;
            private readonly Dictionary<Node, Dictionary<ImmutableHashSet<LayerNode>, ImmutableHashSet<LayerNode>>> walked = new();

            public ActivationFeeding(HashSet<LayerNode> found, LayerKind[] activations)
            {
                this.found = found;
                this.activations = activations;
            }

            public ImmutableHashSet<LayerNode> Walk(ImmutableArray<Node> path, ImmutableHashSet<LayerNode> pending)
            {
                foreach (var node in path)
                {
                    pending = node switch
                    {
                        LayerNode layer => Step(layer, pending),
                        _ => Shared(node, pending),
                    };
                }

                return pending;
            }

            private ImmutableHashSet<LayerNode> Step(LayerNode layer, ImmutableHashSet<LayerNode> pending)
            {
                switch (layer.Kind)
                {
                    case LayerKind.Weight:
                        return ImmutableHashSet.Create(layer);
                    case LayerKind.ReluActivation or LayerKind.SaturatingActivation or LayerKind.OtherActivation or LayerKind.Opaque:
                        if (Array.IndexOf(activations, layer.Kind) >= 0)
                        {
                            found.UnionWith(pending);
                        }

                        return ImmutableHashSet<LayerNode>.Empty;
                    default:
                        return pending;
                }
            }

            private ImmutableHashSet<LayerNode> Shared(Node node, ImmutableHashSet<LayerNode> pending)
            {
                if (!walked.TryGetValue(node, out var byState))
                {
                    walked[node] = byState = new Dictionary<ImmutableHashSet<LayerNode>, ImmutableHashSet<LayerNode>>();
                }

                if (byState.TryGetValue(pending, out var after))
                {
                    return after;
                }

                switch (node)
                {
                    case RepeatNode repeat:
                        after = Walk(repeat.Body, pending);
                        if (repeat.Count > 1)
                        {
                            // A second pass finds a layer at the end of the body that feeds a ReLU at its start.
                            after = Walk(repeat.Body, after);
                        }

                        break;
                    case BranchNode branch:
                        after = branch.Paths.Aggregate(ImmutableHashSet<LayerNode>.Empty, (merged, branchPath) => merged.Union(Walk(branchPath, pending)));
                        break;
                    default:
                        after = pending;
                        break;
                }

                byState[pending] = after;
                return after;
            }
        }

        public static long Cap(long value) => Math.Min(value, Saturation);

        /// <summary>
        /// Runs of consecutive members on a path, the logic GG0001, GG0002 and GG0005 share: a member extends the current
        /// run, a break ends it, a skip connection ends it on both sides (runs inside its paths count on their own),
        /// parallel paths carry it on along the longest of them and alternatives along the shortest. A stretch repeated n
        /// times counts n times without being unrolled. Each member may multiply the run's gain by a factor of its own,
        /// summed as logarithms, so that a product over a repeated stretch is its factor to the power n.
        /// </summary>
        public sealed class Runs
        {
            private readonly Func<LayerNode, RunRole> role;
            private readonly Func<LayerNode, double>? logFactor;
            private readonly long threshold;
            private readonly Dictionary<Node, Dictionary<Run, Run>> walked = new();
            private readonly Dictionary<LayerNode, RunMember> members = new();
            private readonly HashSet<Run> ended = new();

            private Runs(Func<LayerNode, RunRole> role, Func<LayerNode, double>? logFactor, long threshold)
            {
                this.role = role;
                this.logFactor = logFactor;
                this.threshold = threshold;
            }

            /// <summary>The longest run on the path.</summary>
            public long Longest { get; private set; }

            /// <summary>The members of runs at least as long as the threshold, each with the longest such run it is in, in the order found.</summary>
            public List<RunMember> MembersOfLongRuns { get; } = new();

            /// <summary>The runs at least as long as the threshold, each once, in the order they end.</summary>
            public List<LongRun> LongRuns { get; } = new();

            /// <summary>
            /// Scans a path for runs; <paramref name="logFactor"/> gives the logarithm of what each member multiplies its
            /// run's gain by.
            /// </summary>
            public static Runs Scan(ImmutableArray<Node> path, Func<LayerNode, RunRole> role, long threshold, Func<LayerNode, double>? logFactor = null)
            {
                var runs = new Runs(role, logFactor, threshold);
                runs.End(runs.Walk(path, Run.Empty));
                return runs;
            }

            private Run Walk(ImmutableArray<Node> path, Run run)
            {
                foreach (var node in path)
                {
                    run = node is LayerNode layer ? Step(layer, run) : Shared(node, run);
                }

                return run;
            }

            /// <summary>A stretch or branch, walked once for each run that enters it: nodes are shared between paths.</summary>
            private Run Shared(Node node, Run run)
            {
                if (!walked.TryGetValue(node, out var byRun))
                {
                    walked[node] = byRun = new Dictionary<Run, Run>();
                }

                if (!byRun.TryGetValue(run, out var after))
                {
                    after = node switch
                    {
                        RepeatNode repeat => Repeat(repeat, run),
                        BranchNode { Kind: JoinKind.Skip } skip => Skip(skip, run),
                        BranchNode branch => Branch(branch, run),
                        _ => run,
                    };
                    byRun[run] = after;
                }

                return after;
            }

            private Run Step(LayerNode layer, Run run)
            {
                switch (role(layer))
                {
                    case RunRole.Member:
                        return run.With(layer, 1, logFactor?.Invoke(layer) ?? 0);
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

                var members = new List<LayerNode>();
                if (repeat.Count > 1 && Unbroken(repeat.Body, members, out var length, out var logGain))
                {
                    var extended = run;
                    foreach (var member in members)
                    {
                        extended = extended.With(member, 0, 0);
                    }

                    return extended.Longer(Cap(repeat.Count * length), repeat.Count * logGain);
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

            /// <summary>
            /// Whether nothing in a stretch ends a run and it does not branch; if so, its length and log gain (nested
            /// stretches counted as often as they repeat), collecting its members.
            /// </summary>
            private bool Unbroken(ImmutableArray<Node> body, List<LayerNode> members, out long length, out double logGain)
            {
                length = 0;
                logGain = 0;
                foreach (var node in body)
                {
                    switch (node)
                    {
                        case LayerNode layer when role(layer) == RunRole.Member:
                            members.Add(layer);
                            length++;
                            logGain += logFactor?.Invoke(layer) ?? 0;
                            break;
                        case LayerNode layer when role(layer) == RunRole.Break:
                            return false;
                        case RepeatNode repeat:
                            if (!Unbroken(repeat.Body, members, out var innerLength, out var innerLogGain))
                            {
                                return false;
                            }

                            length = Cap(length + Cap(repeat.Count * innerLength));
                            logGain += repeat.Count * innerLogGain;
                            break;
                        case BranchNode:
                            return false;
                    }
                }

                return true;
            }

            private void End(Run run)
            {
                Longest = Math.Max(Longest, run.Length);
                if (run.Length < threshold || !ended.Add(run))
                {
                    return;
                }

                var layers = new List<LayerNode>();
                for (var member = run.Members; member is not null; member = member.Next)
                {
                    layers.Add(member.Layer);
                    if (!members.TryGetValue(member.Layer, out var known))
                    {
                        members[member.Layer] = known = new RunMember(member.Layer);
                        MembersOfLongRuns.Add(known);
                    }

                    known.Run = Math.Max(known.Run, run.Length);
                }

                layers.Reverse();
                LongRuns.Add(new LongRun(layers, run.Length, run.LogGain));
            }

            /// <summary>A run so far: its length, its gain's logarithm and its members, as a list shared between the runs that extend it.</summary>
            private sealed class Run : IEquatable<Run>
            {
                private Run(long length, double logGain, MemberList? members)
                {
                    Length = length;
                    LogGain = logGain;
                    Members = members;
                }

                public static readonly Run Empty = new(0, 0, null);

                public long Length { get; }

                public double LogGain { get; }

                public MemberList? Members { get; }

                public Run With(LayerNode layer, long added, double logFactor) => new(Cap(Length + added), LogGain + logFactor, new MemberList(layer, Members));

                public Run Longer(long added, double logFactor) => new(Cap(Length + added), LogGain + logFactor, Members);

                public bool Equals(Run? other) => other is not null && Length == other.Length && LogGain.Equals(other.LogGain) && ReferenceEquals(Members, other.Members);

                public override bool Equals(object? obj) => obj is Run other && Equals(other);

                public override int GetHashCode() => unchecked((int)Length * 397) ^ (Members?.GetHashCode() ?? 0);
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

    /// <summary>A run at least as long as a rule's threshold.</summary>
    internal sealed class LongRun
    {
        public LongRun(IReadOnlyList<LayerNode> layers, long length, double logGain)
        {
            Layers = layers;
            Length = length;
            LogGain = logGain;
        }

        /// <summary>Its members in path order, a repeated stretch's once.</summary>
        public IReadOnlyList<LayerNode> Layers { get; }

        /// <summary>How many members it has, a repeated stretch's counted as often as it repeats.</summary>
        public long Length { get; }

        /// <summary>The sum of its members' log factors, counted as often as they repeat.</summary>
        public double LogGain { get; }
    }

    /// <summary>A layer in a long run, and the longest such run it is in.</summary>
    internal sealed class RunMember
    {
        public RunMember(LayerNode layer) => Layer = layer;

        public LayerNode Layer { get; }

        public long Run { get; set; }
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
