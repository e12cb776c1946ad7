// The tests run the GradientFlow sample, Prometheus and Chromium as processes; on a two-core machine running them side
// by side only makes each slower and the sample's serving windows harder to hit.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
