using System.Globalization;

namespace GradientFlow;

/// <summary>The sample's command line: <c>--depths 16,50 --width 64 --batch 128 --steps 20 --seed 1 --lr 0.01 --collect-every 1 --json PATH --report PATH --prometheus-port PORT --serve-seconds N --run-id ID</c>.</summary>
public sealed record CommandLine(IReadOnlyList<int> Depths, ExperimentSettings Settings, string? JsonPath)
{
    /// <summary>Where to write the self-contained HTML gradient-flow report, if anywhere.</summary>
    public string? ReportPath { get; init; }

    /// <summary>Loopback port on which to serve <c>/metrics</c> for Prometheus to scrape, if any.</summary>
    public int? PrometheusPort { get; init; }

    /// <summary>How long each configuration's final metrics stay exported after its training ends.</summary>
    public TimeSpan ServeTime { get; init; }

    /// <summary>The run's <c>service.instance.id</c> on the OpenTelemetry resource, if given.</summary>
    public string? RunId { get; init; }

    public const string Usage = """
        Usage: dotnet run --project samples/GradientFlow -- [options]

        Trains the four configurations the vanishing-gradient literature compares (sigmoid, ReLU with TorchSharp's
        default init, ReLU with He init, residual ReLU) at each depth with a GradGuard monitor attached, and prints
        how much gradient reaches each layer and what the monitor diagnosed.

          --depths LIST        comma-separated network depths (weight layers)   default 16,50
          --width N            units per hidden layer                           default 64
          --batch N            examples per batch                               default 128
          --steps N            training steps per configuration                 default 20
          --seed N             random seed                                      default 1
          --lr X               SGD learning rate                                default 0.01
          --collect-every N    collect gradient statistics every N-th step      default 1
          --json PATH          write per-layer weight-gradient norms after the first backward pass,
                               and the monitor's final values (what its gauges last showed)
          --report PATH        write a self-contained HTML gradient-flow report (heatmaps, curves)
          --prometheus-port N  serve metrics for Prometheus at http://127.0.0.1:N/metrics
          --serve-seconds N    keep each configuration's final metrics exported N seconds after
                               training it, so a scraper sees them              default 0
          --run-id ID          this run's service.instance.id on the OpenTelemetry resource, so that
                               several trainers reporting to one backend stay apart
                                                                               default a new GUID
          --help               show this text

        Output files are checked before training starts (exit code 2 if one cannot be written) and written
        whole: to a temporary file beside the target, then renamed over it.

        Metrics are exported as OpenTelemetry SDKs do it, through environment variables:
          OTEL_METRICS_EXPORTER=none     export nothing (the default unless an OTLP endpoint is set)
          OTEL_METRICS_EXPORTER=console  print every metric to the console after each configuration
          OTEL_METRICS_EXPORTER=otlp     send to an OTLP collector (the default when OTEL_EXPORTER_OTLP_ENDPOINT
                                         is set), configured by OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL,
                                         _HEADERS, OTEL_METRIC_EXPORT_INTERVAL and OTEL_RESOURCE_ATTRIBUTES
        Several exporters are comma-separated (console,otlp); --prometheus-port adds a Prometheus endpoint.
        OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service and the run as usual; --run-id wins.
        """;

    /// <summary>Parses the arguments, or throws <see cref="FormatException"/> with a message that names the bad one.</summary>
    public static CommandLine Parse(IReadOnlyList<string> arguments)
    {
        var depths = new List<int> { 16, 50 };
        var settings = new ExperimentSettings();
        string? json = null;
        string? report = null;
        int? prometheusPort = null;
        var serveTime = TimeSpan.Zero;
        string? runId = null;
        for (int index = 0; index < arguments.Count; index++)
        {
            string option = arguments[index];
            string Value() => index + 1 < arguments.Count ? arguments[++index] : throw new FormatException($"{option} needs a value.");
            switch (option)
            {
                case "--depths":
                    depths = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(depth => Positive(option, depth, 2)).ToList();
                    break;
                case "--width":
                    settings = settings with { Width = Positive(option, Value(), 1) };
                    break;
                case "--batch":
                    settings = settings with { Batch = Positive(option, Value(), 1) };
                    break;
                case "--steps":
                    settings = settings with { Steps = Positive(option, Value(), 1) };
                    break;
                case "--seed":
                    settings = settings with { Seed = long.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long seed) ? seed : throw new FormatException("--seed needs an integer.") };
                    break;
                case "--lr":
                    settings = settings with { LearningRate = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) && rate > 0 ? rate : throw new FormatException("--lr needs a number greater than 0.") };
                    break;
                case "--collect-every":
                    settings = settings with { CollectEvery = Positive(option, Value(), 1) };
                    break;
                case "--json":
                    json = OutputFile.Checked(option, Value());
                    break;
                case "--report":
                    report = OutputFile.Checked(option, Value());
                    break;
                case "--prometheus-port":
                    prometheusPort = Positive(option, Value(), 1) is var port && port <= ushort.MaxValue ? port : throw new FormatException($"{option} needs a port number up to {ushort.MaxValue}.");
                    break;
                case "--serve-seconds":
                    serveTime = TimeSpan.FromSeconds(Positive(option, Value(), 0));
                    break;
                case "--run-id":
                    runId = Value() is { Length: > 0 } id && !id.Any(char.IsControl) ? id : throw new FormatException("--run-id needs a non-empty name without control characters.");
                    break;
                default:
                    throw new FormatException($"Unknown option '{option}'.");
            }
        }

        if (depths.Count == 0)
        {
            throw new FormatException("--depths needs at least one depth.");
        }

        return new CommandLine(depths, settings, json) { ReportPath = report, PrometheusPort = prometheusPort, ServeTime = serveTime, RunId = runId };
    }

    private static int Positive(string option, string text, int minimum) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum
            ? value
            : throw new FormatException($"{option} needs an integer of at least {minimum}; got '{text}'.");
}
