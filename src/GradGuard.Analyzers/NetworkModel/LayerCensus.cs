using System;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// What a network holds, counted in one walk, so that a rule can see it has nothing to report before it scans the
    /// path for runs: no run is longer than the most layers of its kind on one input-to-output path, so a network with
    /// fewer than a rule's threshold cannot break it. Most networks fail every threshold but one or two, and a scan for
    /// runs costs several times this walk.
    /// </summary>
    internal sealed class LayerCensus
    {
        private LayerCensus(long mostSaturatingActivations, long mostWeightLayers, bool hasReluActivation, bool hasDistributionInit)
        {
            MostSaturatingActivations = mostSaturatingActivations;
            MostWeightLayers = mostWeightLayers;
            HasReluActivation = hasReluActivation;
            HasDistributionInit = hasDistributionInit;
        }

        /// <summary>The most saturating activations on one path: a bound on GG0001's runs.</summary>
        public long MostSaturatingActivations { get; }

        /// <summary>The most weight layers on one path: a bound on GG0002's and GG0005's runs.</summary>
        public long MostWeightLayers { get; }

        /// <summary>Whether any ReLU-family activation is on the path, without which no weight layer feeds one.</summary>
        public bool HasReluActivation { get; }

        /// <summary>Whether any weight is drawn from an explicit distribution, the only init GG0005 judges.</summary>
        public bool HasDistributionInit { get; }

        /// <remarks>
        /// The walk's memo of shared stretches stays with the walk: a network keeps its census until the build ends, and
        /// memos kept alive with every network slowed every later collection.
        /// </remarks>
        public static LayerCensus Of(ImmutableArray<Node> path)
        {
            var counting = new Counting();
            counting.Walk(path, out var saturating, out var weight);
            return new LayerCensus(saturating, weight, counting.HasReluActivation, counting.HasDistributionInit);
        }

        private sealed class Counting
        {
            /// <summary>
            /// The counts of each shared stretch and branch, walked once however many paths reach it. Kept as objects: a
            /// dictionary of references runs on code the runtime already has, one of structs is compiled afresh in every
            /// compiler process.
            /// </summary>
            private Dictionary<Node, Counts>? walked;

            public bool HasReluActivation { get; private set; }

            public bool HasDistributionInit { get; private set; }

            public void Walk(ImmutableArray<Node> path, out long saturating, out long weight)
            {
                saturating = 0;
                weight = 0;
                foreach (var node in path)
                {
                    if (node is LayerNode layer)
                    {
                        Count(layer, ref saturating, ref weight);
                    }
                    else
                    {
                        var counts = Shared(node);
                        saturating = PathMetrics.Cap(saturating + counts.Saturating);
                        weight = PathMetrics.Cap(weight + counts.Weight);
                    }
                }
            }

            private void Count(LayerNode layer, ref long saturating, ref long weight)
            {
                switch (layer.Kind)
                {
                    case LayerKind.Weight:
                        weight = PathMetrics.Cap(weight + 1);
                        HasDistributionInit |= layer.Init.Scheme == InitScheme.Distribution;
                        break;
                    case LayerKind.SaturatingActivation:
                        saturating = PathMetrics.Cap(saturating + 1);
                        break;
                    case LayerKind.ReluActivation:
                        HasReluActivation = true;
                        break;
                }
            }

            /// <summary>A repeated stretch counts as often as it repeats; of a branch's paths, each kind's count is the largest.</summary>
            private Counts Shared(Node node)
            {
                walked ??= new Dictionary<Node, Counts>();
                if (walked.TryGetValue(node, out var known))
                {
                    return known;
                }

                var counts = new Counts();
                switch (node)
                {
                    case RepeatNode repeat when repeat.Count > 0:
                        Walk(repeat.Body, out var saturating, out var weight);
                        counts.Saturating = PathMetrics.Cap(saturating * Math.Min(repeat.Count, PathMetrics.Saturation));
                        counts.Weight = PathMetrics.Cap(weight * Math.Min(repeat.Count, PathMetrics.Saturation));
                        break;
                    case BranchNode branch:
                        foreach (var path in branch.Paths)
                        {
                            Walk(path, out var pathSaturating, out var pathWeight);
                            counts.Saturating = Math.Max(counts.Saturating, pathSaturating);
                            counts.Weight = Math.Max(counts.Weight, pathWeight);
                        }

                        break;
                }

                walked[node] = counts;
                return counts;
            }
        }

        private sealed class Counts
        {
            public long Saturating { get; set; }

            public long Weight { get; set; }
        }
    }
}
