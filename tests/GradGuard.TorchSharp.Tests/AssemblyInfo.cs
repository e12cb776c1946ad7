// TorchSharp's random seed and GradGuard's meter are process-wide; tests that read either must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
