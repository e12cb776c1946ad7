using GradientFlow;
using Microsoft.Extensions.Logging;

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

Telemetry telemetry;
try
{
    telemetry = Telemetry.Start(commandLine.PrometheusPort, commandLine.RunId);
}
catch (System.Net.HttpListenerException error)
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}

using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
var logger = loggerFactory.CreateLogger("GradGuard");
var results = new List<ExperimentResult>();

// The meter provider's last export happens when it is disposed, so it goes before the summary that closes the output.
using (var metrics = telemetry)
{
    Console.WriteLine($"GradGuard gradient flow: width {commandLine.Settings.Width}, batch {commandLine.Settings.Batch}, {commandLine.Settings.Steps} SGD steps, seed {commandLine.Settings.Seed}; metrics to {metrics.Description}.");
    foreach (var configuration in NetworkConfiguration.Literature(commandLine.Depths))
    {
        // Flushing while the monitor is attached exports this configuration's final gauges; serving on keeps them up for
        // a scraper or a periodic exporter, which would otherwise miss a configuration that trains between two reads.
        var result = Experiment.Run(configuration, commandLine.Settings, logger, _ =>
        {
            metrics.Flush();
            Thread.Sleep(commandLine.ServeTime);
        });
        results.Add(result);
        Console.WriteLine(GradientBars.Render(result));
    }
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

if (commandLine.ReportPath is { } reportPath)
{
    GradientFlowReport.Write(reportPath, commandLine.Settings, results);
    Console.WriteLine($"Gradient-flow report written to {reportPath}.");
}

return 0;
