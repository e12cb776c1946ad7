using GradientFlow;
using Microsoft.Extensions.Logging.Abstractions;

if (args.Contains("--help"))
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

// Everything the run depends on is checked before any training starts: bad input costs a second, not a run.
CommandLine commandLine;
IReadOnlySet<MetricsExporter> exporters;
try
{
    commandLine = CommandLine.Parse(args);
    exporters = Telemetry.ExportersFromEnvironment(Environment.GetEnvironmentVariable);
}
catch (FormatException error)
{
    Console.Error.WriteLine($"error: {error.Message} See --help.");
    return 2;
}

Telemetry telemetry;
try
{
    telemetry = Telemetry.Start(exporters, commandLine.PrometheusPort, commandLine.RunId);
}
catch (System.Net.HttpListenerException error)
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}

var settings = commandLine.Settings;
var configurations = NetworkConfiguration.Literature(commandLine.Depths);
Console.WriteLine($"GradGuard gradient flow: {configurations.Count} networks (width {settings.Width}, batch {settings.Batch}, {settings.Steps} SGD steps, seed {settings.Seed}); metrics {telemetry.Description}.");
Console.WriteLine();

var results = new List<ExperimentResult>();
using (telemetry)
{
    foreach (var configuration in configurations)
    {
        // Flushing while the monitor is attached exports this configuration's final gauges; serving on keeps them up for
        // a scraper or a periodic exporter, which would otherwise miss a configuration that trains between two reads.
        results.Add(Experiment.Run(configuration, settings, NullLogger.Instance, _ =>
        {
            telemetry.Flush();
            Thread.Sleep(commandLine.ServeTime);
        }));
    }
}

// The answer: the summary, then each configuration's layers with what the monitor diagnosed.
Console.WriteLine(SummaryTable.Render(results));
foreach (var result in results)
{
    Console.WriteLine(GradientBars.Render(result));
}

if (commandLine.JsonPath is { } jsonPath)
{
    FlowJson.From(results).Write(jsonPath);
    Console.WriteLine($"Per-layer gradient norms written to {jsonPath}.");
}

if (commandLine.ReportPath is { } reportPath)
{
    GradientFlowReport.Write(reportPath, settings, results);
    Console.WriteLine($"Gradient-flow report written to {reportPath}.");
}

if (commandLine.JsonPath is null && commandLine.ReportPath is null)
{
    Console.WriteLine("Every layer at every step: --json PATH, or --report PATH for charts; --help for the rest.");
}

return 0;
