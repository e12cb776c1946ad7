using Microsoft.Extensions.Logging;

namespace GradGuard.TorchSharp;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "GradientProblem", Level = LogLevel.Warning,
        Message = "GradGuard {Model} step {Step} (previous collection: {PreviousStep}): {Problem} ({Layer}) value {Value:G3}, threshold {Threshold:G3}: {Description} [rule: {Rule}]")]
    public static partial void GradientProblem(ILogger logger, string model, long step, string previousStep, string problem, string layer, double value, double threshold, string description, string rule);

    [LoggerMessage(EventId = 2, EventName = "ParametersWithoutGradient", Level = LogLevel.Information,
        Message = "GradGuard {Model} step {Step}: {Count} parameters have no gradient and are skipped (frozen, or unused by the forward pass): {Parameters}")]
    public static partial void ParametersWithoutGradient(ILogger logger, string model, long step, int count, string parameters);

    [LoggerMessage(EventId = 3, EventName = "MetricListenerFailed", Level = LogLevel.Warning,
        Message = "GradGuard {Model}: a metrics listener or exporter threw; training goes on and this collection's counters may be incomplete")]
    public static partial void MetricListenerFailed(ILogger logger, Exception exception, string model);

    [LoggerMessage(EventId = 4, EventName = "LayersNotSeen", Level = LogLevel.Warning,
        Message = "GradGuard {Model} step {Step}: {Count} layers got gradients but their forward hooks never fired, so the monitor cannot see where they run or what activation follows them: {Layers}. " +
            "A module called as child.forward(x) runs no hooks; call it as child.call(x) (GG0006 finds such calls at compile time: {HelpLink}). " +
            "Until then they are placed by declaration order, and the first/last ratio and per-layer decay are marked inferred (gradguard.order=\"inferred\").")]
    public static partial void LayersNotSeen(ILogger logger, string model, long step, int count, string layers, string helpLink);

    [LoggerMessage(EventId = 5, EventName = "UnusedLayers", Level = LogLevel.Information,
        Message = "GradGuard {Model} step {Step}: {Count} layers did not run in the forward pass and are left out of first/last and the per-layer decay: {Layers}")]
    public static partial void UnusedLayers(ILogger logger, string model, long step, int count, string layers);

    [LoggerMessage(EventId = 6, EventName = "LayerSeriesCoarsened", Level = LogLevel.Information,
        Message = "GradGuard {Model}: {Layers} layers or sites would exceed {Maximum} per-layer series, so {Instrument} is published for {Groups} coarser blocks ({Scheme}). Set PublishedLayerDepth or PublishLayer to choose them")]
    public static partial void LayerSeriesCoarsened(ILogger logger, string model, int layers, string maximum, string instrument, int groups, string scheme);

    [LoggerMessage(EventId = 7, EventName = "CollectionCadenceChanged", Level = LogLevel.Information,
        Message = "GradGuard {Model} step {Step}: collecting every {CollectEvery} steps (was every {PreviousCollectEvery}): a collection takes {CollectionMilliseconds:G3} ms and a training step {StepMilliseconds:G3} ms, " +
            "so the monitor takes {TimeShare:P2} of training time, within its budget of {Budget:P1}. Set GradientMonitorOptions.CollectEvery for a fixed cadence")]
    public static partial void CollectionCadenceChanged(ILogger logger, string model, long step, int collectEvery, int previousCollectEvery, double collectionMilliseconds, double stepMilliseconds, double timeShare, double budget);
}
