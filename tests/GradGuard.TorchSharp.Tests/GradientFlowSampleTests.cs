using System.Diagnostics;
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
    }

    [Fact]
    public void Residual_connections_keep_the_depth_50_gradient_flowing()
    {
        var result = Experiment.Run(new NetworkConfiguration("relu", "default", true, 50), Literature, NullLogger.Instance);

        Assert.InRange(result.First.FirstToLastRatio, 0.01, 100);
        Assert.DoesNotContain(result.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.VanishingGradients);
    }

    [Fact]
    public void The_main_job_writes_per_layer_norms_ordered_from_input_to_output()
    {
        string json = Path.Combine(Path.GetTempPath(), $"gradguard-flow-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = RunSample("--depths", "4", "--steps", "2", "--width", "16", "--batch", "8", "--json", json);

            Assert.True(exitCode == 0, output);
            Assert.Contains("first/last ratio", output);
            Assert.Contains(GradGuardMetrics.GradientNormInstrument, output);
            var document = FlowJson.Read(json);
            Assert.Equal(new[] { "sigmoid-default-4", "relu-default-4", "relu-he-4", "residual-relu-default-4" }, document.Configs.Select(config => config.Name));
            var sigmoid = document.Configs[0];
            Assert.Equal(("sigmoid", "default", false, 4), (sigmoid.Activation, sigmoid.Init, sigmoid.Residual, sigmoid.Depth));
            Assert.Equal(new[] { 0, 1, 2, 3 }, sigmoid.Layers.Select(layer => layer.Index));
            Assert.Equal(new[] { "0.linear", "1.linear", "2.linear", "output" }, sigmoid.Layers.Select(layer => layer.Name));
            Assert.All(sigmoid.Layers, layer => Assert.True(layer.GradNorm > 0));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void A_bad_option_is_named_and_the_usage_shown()
    {
        var (exitCode, output) = RunSample("--depths", "1");

        Assert.Equal(2, exitCode);
        Assert.Contains("--depths needs an integer of at least 2", output);
        Assert.Contains("Usage:", output);
    }

    private static (int ExitCode, string Output) RunSample(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GradientFlow.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("GradientFlow did not finish within 2 minutes.");
        }

        return (process.ExitCode, output + error.Result);
    }
}
