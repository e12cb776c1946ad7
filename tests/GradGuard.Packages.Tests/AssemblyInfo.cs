// Every test here runs real restores and builds; on a two-core machine running them side by side only makes each slower.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
