using GradGuard.TorchSharp;
using GradientFlow;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

CommandLine commandLine;
try
{
    if (args.Contains("--help"))
    {
        Console.WriteLine(CommandLine.Usage);
        return 0;
    }

    commandLine = CommandLine.Parse(args);
}
catch (FormatException error)
{
    Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

bool otlp = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
var metrics = Sdk.CreateMeterProviderBuilder()
    .ConfigureResource(resource => resource.AddService("GradientFlow"))
    .AddGradGuardInstrumentation();
metrics = otlp ? metrics.AddOtlpExporter() : metrics.AddConsoleExporter();
using var meterProvider = metrics.Build();
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
var logger = loggerFactory.CreateLogger("GradGuard");

Console.WriteLine($"GradGuard gradient flow: width {commandLine.Settings.Width}, batch {commandLine.Settings.Batch}, {commandLine.Settings.Steps} SGD steps, seed {commandLine.Settings.Seed}; metrics to {(otlp ? "OTLP" : "the console")}.");
var results = new List<ExperimentResult>();
foreach (var configuration in NetworkConfiguration.Literature(commandLine.Depths))
{
    // Flushing while the monitor is attached exports this configuration's final gauges.
    var result = Experiment.Run(configuration, commandLine.Settings, logger, _ => meterProvider.ForceFlush());
    results.Add(result);
    Console.WriteLine(GradientBars.Render(result));
}

Console.WriteLine($"{"configuration",-26} {"first/last at step 1",22} {"first-layer norm",18}");
foreach (var result in results)
{
    Console.WriteLine($"{result.Configuration.Name,-26} {result.First.FirstToLastRatio,22:0.0e+00} {result.First.WeightGradients.First().Norm,18:0.0e+00}");
}

if (commandLine.JsonPath is { } path)
{
    FlowJson.From(results).Write(path);
    Console.WriteLine($"Per-layer gradient norms written to {path}.");
}

return 0;
