using System.Net;
using GradGuard.TorchSharp;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace GradientFlow;

/// <summary>
/// Where the sample's metrics go: the console exporter, or OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (every other
/// OTEL_* variable is read by the exporter itself), and a Prometheus scrape endpoint on loopback when a port is given.
/// </summary>
public sealed class Telemetry : IDisposable
{
    private readonly MeterProvider meterProvider;

    private Telemetry(MeterProvider meterProvider, string description)
    {
        this.meterProvider = meterProvider;
        Description = description;
    }

    /// <summary>Where the metrics go, for the run's first line.</summary>
    public string Description { get; }

    /// <summary>Builds the meter provider; throws <see cref="HttpListenerException"/> when the scrape port cannot be listened on.</summary>
    /// <param name="prometheusPort">Loopback port to serve <c>/metrics</c> on, if any.</param>
    /// <param name="runId">The run's <c>service.instance.id</c>; null leaves it to OTEL_RESOURCE_ATTRIBUTES or a new GUID.</param>
    public static Telemetry Start(int? prometheusPort, string? runId = null)
    {
        bool otlp = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource =>
            {
                // A resource added later overrides an earlier one, so the sample's defaults come first, the standard
                // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES after them, and the command line last.
                resource.AddService("GradientFlow").AddEnvironmentVariableDetector();
                if (runId is not null)
                {
                    resource.AddAttributes(new[] { new KeyValuePair<string, object>("service.instance.id", runId) });
                }
            })
            .AddGradGuardInstrumentation();
        metrics = otlp ? metrics.AddOtlpExporter() : metrics.AddConsoleExporter();
        string description = otlp ? "OTLP" : "the console";
        if (prometheusPort is { } port)
        {
            // Loopback only: the sample is a development tool, and binding every interface needs elevated rights on Windows.
            metrics = metrics.AddPrometheusHttpListener(prometheus =>
            {
                prometheus.Host = "127.0.0.1";
                prometheus.Port = port;
            });
            description += $" and http://127.0.0.1:{port}/metrics";
        }

        try
        {
            return new Telemetry(metrics.Build(), description);
        }
        catch (InvalidOperationException error) when (error.InnerException is HttpListenerException listening)
        {
            throw new HttpListenerException(listening.ErrorCode, $"cannot serve metrics on 127.0.0.1:{prometheusPort}: {listening.Message}");
        }
    }

    /// <summary>Exports what the instruments show now, so a configuration's final gauges leave before its monitor goes.</summary>
    public void Flush() => meterProvider.ForceFlush();

    public void Dispose() => meterProvider.Dispose();
}
