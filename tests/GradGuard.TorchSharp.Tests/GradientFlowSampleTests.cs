using GradGuard.Tests.Shared;
using GradientFlow;
using Microsoft.Extensions.Logging.Abstractions;

namespace GradGuard.TorchSharp.Tests;

/// <summary>The figures measured here (width 64, batch 128, MSE, seed 1), reproduced by the main job.</summary>
public class GradientFlowSampleTests
{
    private static readonly ExperimentSettings Literature = new(Width: 64, Batch: 128, Steps: 1, Seed: 1);

    [Theory]
    [InlineData("sigmoid", "default", 16, 1e-15, 1e-12)]
    [InlineData("relu", "default", 50, 1e-20, 1e-16)]
    [InlineData("relu", "he", 50, 0.05, 2.0)]
    [InlineData("relu", "default", 16, 1e-7, 1e-3)]
    public void First_to_last_gradient_ratio_after_the_first_backward_pass(string activation, string init, int depth, double low, double high)
    {
        var result = Experiment.Run(new NetworkConfiguration(activation, init, false, depth), Literature, NullLogger.Instance);

        Assert.InRange(result.First.FirstToLastRatio, low, high);
        Assert.Equal(depth, result.First.WeightGradients.Count());
    }

    [Fact]
    public void Depth_50_sigmoid_underflows_the_first_layer_and_is_diagnosed()
    {
        var result = Experiment.Run(new NetworkConfiguration("sigmoid", "default", false, 50), Literature, NullLogger.Instance);

        Assert.True(result.First.WeightGradients.First().Norm < 1e-15);
        Assert.Contains(result.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.VanishingGradients);
        Assert.All(result.Diagnoses, diagnosis => Assert.DoesNotContain("Infinity", diagnosis.Message));
    }

    [Fact]
    public void Residual_connections_keep_the_depth_50_gradient_flowing()
    {
        var result = Experiment.Run(new NetworkConfiguration("relu", "default", true, 50), Literature, NullLogger.Instance);

        Assert.InRange(result.First.FirstToLastRatio, 0.01, 100);
        Assert.DoesNotContain(result.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.VanishingGradients);
    }

    [Fact]
    public void The_default_run_shows_the_answer_on_one_screen_and_no_metrics()
    {
        var (exitCode, output) = RunSample();

        Assert.True(exitCode == 0, output);
        var lines = output.TrimEnd().Split('\n');
        Assert.InRange(lines.Length, 20, 150);
        Assert.DoesNotContain("Metric Name", output);
        Assert.DoesNotContain(GradGuardMetrics.GradientNormInstrument, output);
        string[] configurations = NetworkConfiguration.Literature(new[] { 16, 50 }).Select(configuration => configuration.Name).ToArray();
        // The summary comes first: every configuration's row before the first bar chart.
        int firstChart = Array.FindIndex(lines, line => line.Contains(": weight-gradient L2 norm", StringComparison.Ordinal));
        Assert.All(configurations, name => Assert.InRange(Array.FindIndex(lines, line => line.StartsWith(name + " ", StringComparison.Ordinal)), 1, firstChart - 1));
        Assert.All(configurations, name => Assert.Contains(lines, line => line.StartsWith(name + ": weight-gradient L2 norm", StringComparison.Ordinal)));
        Assert.Contains(lines, line => line.StartsWith("  ! vanishing gradients", StringComparison.Ordinal));
        // The sigmoid and default-init ReLU networks' diagnoses cite the rules that find their causes at compile time,
        // in the summary and under their bars; the He-initialised ones cite none.
        Assert.Matches(@"(?m)^sigmoid-default-50 .*vanishing gradients \(GG0001\)", output);
        Assert.Matches(@"(?m)^relu-default-50 .*vanishing gradients \(GG0002\)", output);
        Assert.Matches(@"(?m)^relu-he-50 .* -$", output);
        Assert.Contains("(GG0001, found at compile time: https://github.com/gradguard/gradguard/blob/main/docs/rules/GG0001.md)", output);
        Assert.Contains("(GG0002, found at compile time: https://github.com/gradguard/gradguard/blob/main/docs/rules/GG0002.md)", output);
    }

    [Fact]
    public void The_main_job_writes_per_layer_norms_ordered_from_input_to_output_and_exports_what_OTEL_METRICS_EXPORTER_names()
    {
        var scratch = Directory.CreateTempSubdirectory("gradguard-flow-");
        string json = Path.Combine(scratch.FullName, "flow.json");
        File.WriteAllText(json, "an earlier run's file");
        try
        {
            var (exitCode, output) = RunSample(new Dictionary<string, string?> { ["OTEL_METRICS_EXPORTER"] = "console" }, "--depths", "4", "--steps", "2", "--width", "16", "--batch", "8", "--json", json);

            Assert.True(exitCode == 0, output);
            Assert.Contains("metrics to the console", output);
            Assert.Contains(GradGuardMetrics.GradientNormInstrument, output);
            var document = FlowJson.Read(json);
            Assert.Equal(new[] { "sigmoid-default-4", "relu-default-4", "relu-he-4", "residual-relu-default-4" }, document.Configs.Select(config => config.Name));
            var sigmoid = document.Configs[0];
            Assert.Equal(("sigmoid", "default", false, 4), (sigmoid.Activation, sigmoid.Init, sigmoid.Residual, sigmoid.Depth));
            Assert.Equal(new[] { 0, 1, 2, 3 }, sigmoid.Layers.Select(layer => layer.Index));
            Assert.Equal(new[] { "0.linear", "1.linear", "2.linear", "output" }, sigmoid.Layers.Select(layer => layer.Name));
            Assert.All(sigmoid.Layers, layer => Assert.True(layer.GradNorm > 0));
            // Written beside and renamed over the earlier file: nothing else is left in the folder.
            Assert.Equal(new[] { json }, Directory.GetFiles(scratch.FullName));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--depths", "1", "--depths needs an integer of at least 2; got '1'")]
    [InlineData("--report", "/proc/nope/x.html", "--report /proc/nope/x.html: its folder /proc/nope does not exist")]
    [InlineData("--json", "/proc/x.json", "--json /proc/x.json: no file can be created in /proc")]
    public void Bad_input_is_refused_in_one_line_before_any_training(string option, string value, string message)
    {
        var (exitCode, output) = RunSample(option, value);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: " + message, output);
        Assert.Single(output.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--report")]
    public void An_output_path_that_is_a_directory_is_refused_in_one_line(string option)
    {
        var folder = Directory.CreateTempSubdirectory("gradguard-flow-");
        try
        {
            var (exitCode, output) = RunSample(option, folder.FullName);

            Assert.Equal(2, exitCode);
            Assert.Equal($"error: {option} {folder.FullName}: it is a directory. See --help.", output.TrimEnd());
            Assert.Empty(folder.GetFileSystemInfos());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_exporter_OpenTelemetry_does_not_name_is_refused_in_one_line()
    {
        var (exitCode, output) = RunSample(new Dictionary<string, string?> { ["OTEL_METRICS_EXPORTER"] = "console,zipkin" });

        Assert.Equal(2, exitCode);
        Assert.Equal("error: OTEL_METRICS_EXPORTER=console,zipkin: 'zipkin' is not an exporter; use none, console or otlp (comma-separated), and --prometheus-port for Prometheus. See --help.", output.TrimEnd());
    }

    private static (int ExitCode, string Output) RunSample(params string[] arguments) => RunSample(new Dictionary<string, string?>(), arguments);

    /// <summary>Runs the sample built beside the tests.</summary>
    private static (int ExitCode, string Output) RunSample(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        Command.Dotnet(new[] { Path.Combine(AppContext.BaseDirectory, "GradientFlow.dll") }.Concat(arguments), environment: SampleEnvironment.With(environment));
}
