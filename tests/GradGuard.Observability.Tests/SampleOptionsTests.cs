using System.Net;
using System.Net.Sockets;
using GradientFlow;

namespace GradGuard.Observability.Tests;

/// <summary>The sample's observability options: parsed as documented, and a busy scrape port named in the error.</summary>
public sealed class SampleOptionsTests
{
    [Fact]
    public void The_observability_options_are_parsed()
    {
        var commandLine = CommandLine.Parse(new[] { "--report", "flow.html", "--prometheus-port", "9464", "--serve-seconds", "30" });

        Assert.Equal(("flow.html", 9464, TimeSpan.FromSeconds(30)), (commandLine.ReportPath, commandLine.PrometheusPort, commandLine.ServeTime));
    }

    [Fact]
    public void Without_them_nothing_is_served_or_written()
    {
        var commandLine = CommandLine.Parse(Array.Empty<string>());

        Assert.Equal((null, null, TimeSpan.Zero), (commandLine.ReportPath, commandLine.PrometheusPort, commandLine.ServeTime));
    }

    [Theory]
    [InlineData("--prometheus-port", "0", "--prometheus-port needs an integer of at least 1")]
    [InlineData("--prometheus-port", "70000", "--prometheus-port needs a port number up to 65535")]
    [InlineData("--serve-seconds", "-1", "--serve-seconds needs an integer of at least 0")]
    public void A_bad_value_is_named(string option, string value, string message)
    {
        var error = Assert.Throws<FormatException>(() => CommandLine.Parse(new[] { option, value }));

        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData(null, null, "")]
    [InlineData(null, "http://collector:4318", "Otlp")]
    [InlineData("none", "http://collector:4318", "")]
    [InlineData("console", null, "Console")]
    [InlineData(" Console , otlp ", null, "Console,Otlp")]
    [InlineData("none,console", null, "Console")]
    public void OTEL_METRICS_EXPORTER_chooses_the_exporters_as_OpenTelemetry_SDKs_read_it(string? exporters, string? endpoint, string chosen)
    {
        var environment = new Dictionary<string, string?> { ["OTEL_METRICS_EXPORTER"] = exporters, ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint };

        var selected = Telemetry.ExportersFromEnvironment(name => environment.GetValueOrDefault(name));

        Assert.Equal(chosen, string.Join(",", selected.Order()));
    }

    [Fact]
    public void A_scrape_port_in_use_is_named_and_the_sample_stops()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        int port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        using var sample = ChildProcess.StartGradientFlow(new[] { "--depths", "2", "--steps", "1", "--prometheus-port", $"{port}" });
        var failure = Assert.Throws<InvalidOperationException>(() => sample.WaitForSuccess(TimeSpan.FromMinutes(1)));

        Assert.Contains("exited with code 1", failure.Message);
        Assert.Contains($"error: cannot serve metrics on 127.0.0.1:{port}", failure.Message);
    }
}
