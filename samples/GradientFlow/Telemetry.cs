using System.Net;
using GradGuard.TorchSharp;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace GradientFlow;

/// <summary>A push exporter that <c>OTEL_METRICS_EXPORTER</c> can name.</summary>
public enum MetricsExporter
{
    Console,
    Otlp,
}

/// <summary>
/// Where the sample's metrics go, chosen as OpenTelemetry's SDKs choose it: OTEL_METRICS_EXPORTER lists the exporters
/// (every other OTEL_* variable is read by the exporter itself), and a Prometheus scrape endpoint on loopback is added
/// when a port is given. Without any of them, nothing is exported.
/// </summary>
public sealed class Telemetry : IDisposable
{
    public const string ExporterVariable = "OTEL_METRICS_EXPORTER";

    private readonly MeterProvider? meterProvider;

    private Telemetry(MeterProvider? meterProvider, string description)
    {
        this.meterProvider = meterProvider;
        Description = description;
    }

    /// <summary>Where the metrics go, for the run's first line.</summary>
    public string Description { get; }

    /// <summary>
    /// The exporters <see cref="ExporterVariable"/> names: <c>none</c>, <c>console</c>, <c>otlp</c>, comma-separated.
    /// Unset, it means <c>otlp</c> when an OTLP endpoint is configured and <c>none</c> otherwise: the specification's
    /// default is <c>otlp</c>, but a first run should neither need a collector nor send to one nobody set up.
    /// Throws <see cref="FormatException"/> naming the value it does not know.
    /// </summary>
    public static IReadOnlySet<MetricsExporter> ExportersFromEnvironment(Func<string, string?> variable)
    {
        string? value = variable(ExporterVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            bool endpoint = !string.IsNullOrEmpty(variable("OTEL_EXPORTER_OTLP_ENDPOINT")) || !string.IsNullOrEmpty(variable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));
            return endpoint ? new HashSet<MetricsExporter> { MetricsExporter.Otlp } : new HashSet<MetricsExporter>();
        }

        var exporters = new HashSet<MetricsExporter>();
        foreach (string name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (name.ToLowerInvariant())
            {
                case "none":
                    break;
                case "console":
                    exporters.Add(MetricsExporter.Console);
                    break;
                case "otlp":
                    exporters.Add(MetricsExporter.Otlp);
                    break;
                default:
                    throw new FormatException($"{ExporterVariable}={value}: '{name}' is not an exporter; use none, console or otlp (comma-separated), and --prometheus-port for Prometheus.");
            }
        }

        return exporters;
    }

    /// <summary>Builds the meter provider; throws <see cref="HttpListenerException"/> when the scrape port cannot be listened on.</summary>
    /// <param name="exporters">The exporters to send to, besides Prometheus.</param>
    /// <param name="prometheusPort">Loopback port to serve <c>/metrics</c> on, if any.</param>
    /// <param name="runId">The run's <c>service.instance.id</c>; null leaves it to OTEL_RESOURCE_ATTRIBUTES or a new GUID.</param>
    public static Telemetry Start(IReadOnlySet<MetricsExporter> exporters, int? prometheusPort, string? runId = null)
    {
        if (exporters.Count == 0 && prometheusPort is null)
        {
            return new Telemetry(null, $"not exported (set {ExporterVariable}=console or otlp, or --prometheus-port)");
        }

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
        var destinations = new List<string>();
        if (exporters.Contains(MetricsExporter.Console))
        {
            metrics = metrics.AddConsoleExporter();
            destinations.Add("the console");
        }

        if (exporters.Contains(MetricsExporter.Otlp))
        {
            metrics = metrics.AddOtlpExporter();
            destinations.Add("OTLP");
        }

        if (prometheusPort is { } port)
        {
            // Loopback only: the sample is a development tool, and binding every interface needs elevated rights on Windows.
            metrics = metrics.AddPrometheusHttpListener(prometheus =>
            {
                prometheus.Host = "127.0.0.1";
                prometheus.Port = port;
            });
            destinations.Add($"http://127.0.0.1:{port}/metrics");
        }

        try
        {
            return new Telemetry(metrics.Build(), "to " + string.Join(" and ", destinations));
        }
        catch (InvalidOperationException error) when (error.InnerException is HttpListenerException listening)
        {
            throw new HttpListenerException(listening.ErrorCode, $"cannot serve metrics on 127.0.0.1:{prometheusPort}: {listening.Message}");
        }
    }

    /// <summary>Exports what the instruments show now, so a configuration's final gauges leave before its monitor goes.</summary>
    public void Flush() => meterProvider?.ForceFlush();

    public void Dispose() => meterProvider?.Dispose();
}
