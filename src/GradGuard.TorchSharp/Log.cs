using Microsoft.Extensions.Logging;

namespace GradGuard.TorchSharp;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "GradientProblem", Level = LogLevel.Warning,
        Message = "GradGuard {Model} step {Step}: {Problem} ({Layer}) value {Value:G3}, threshold {Threshold:G3}: {Description}")]
    public static partial void GradientProblem(ILogger logger, string model, long step, string problem, string layer, double value, double threshold, string description);

    [LoggerMessage(EventId = 2, EventName = "ParametersWithoutGradient", Level = LogLevel.Information,
        Message = "GradGuard {Model} step {Step}: {Count} parameters have no gradient and are skipped (frozen, or unused by the forward pass): {Parameters}")]
    public static partial void ParametersWithoutGradient(ILogger logger, string model, long step, int count, string parameters);

    [LoggerMessage(EventId = 3, EventName = "MetricListenerFailed", Level = LogLevel.Warning,
        Message = "GradGuard {Model}: a metrics listener or exporter threw; training goes on and this collection's counters may be incomplete")]
    public static partial void MetricListenerFailed(ILogger logger, Exception exception, string model);
}
