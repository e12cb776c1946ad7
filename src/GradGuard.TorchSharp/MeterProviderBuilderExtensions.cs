using GradGuard.TorchSharp;

namespace OpenTelemetry.Metrics;

/// <summary>Registers GradGuard's gradient metrics with an OpenTelemetry <see cref="MeterProviderBuilder"/>.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes the provider to the <c>GradGuard.TorchSharp</c> meter, so every exporter configured on it receives
    /// the gradient norms, activation statistics and diagnoses of every attached <see cref="GradientMonitor"/>.
    /// </summary>
    public static MeterProviderBuilder AddGradGuardInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(GradGuardMetrics.MeterName);
    }
}
