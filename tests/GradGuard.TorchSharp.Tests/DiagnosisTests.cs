using GradientFlow;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class DiagnosisTests
{
    [Fact]
    public void Vanishing_gradients_are_reported_once_per_episode_as_a_structured_log_event()
    {
        torch.manual_seed(1);
        using var model = new NetworkConfiguration("sigmoid", "default", false, 16).Build(32);
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "deep-sigmoid", CollectEvery = 1 }, logger);
        using var input = torch.randn(8, 32);

        var reports = Enumerable.Range(0, 3).Select(_ => TestModels.Step(model, monitor, input)).ToList();

        var vanishing = Assert.Single(reports[0].Diagnoses);
        Assert.Equal(GradientProblem.VanishingGradients, vanishing.Kind);
        Assert.True(vanishing.Value < 1e-3);
        Assert.Empty(reports[1].Diagnoses);
        Assert.Empty(reports[2].Diagnoses);
        var logged = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Warning);
        Assert.Equal("GradientProblem", logged.EventId.Name);
        Assert.Equal("deep-sigmoid", logged.State["Model"]);
        Assert.Equal("vanishing_gradients", logged.State["Problem"]);
    }

    [Fact]
    public void A_problem_that_clears_and_returns_is_reported_again()
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(2, new float[] { 10, 10 })), ("act", nn.Sigmoid()));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });
        using var input = torch.randn(3, 2);
        var bias = model.named_parameters().Single(entry => entry.name == "fc.bias").parameter;

        var first = TestModels.Step(model, monitor, input);
        using (torch.no_grad())
        {
            bias.zero_();
        }

        var cleared = TestModels.Step(model, monitor, input);
        using (torch.no_grad())
        {
            bias.fill_(10);
        }

        var returned = TestModels.Step(model, monitor, input);

        Assert.Single(first.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.SaturatedActivations);
        Assert.DoesNotContain(cleared.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.SaturatedActivations);
        Assert.Single(returned.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.SaturatedActivations);
    }

    [Fact]
    public void A_healthy_network_has_no_diagnosis()
    {
        torch.manual_seed(1);
        using var model = new NetworkConfiguration("relu", "he", false, 8).Build(32);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(64, 32);

        var report = TestModels.Step(model, monitor, input);

        Assert.Empty(report.Diagnoses);
    }

    [Fact]
    public void A_huge_total_norm_is_exploding()
    {
        using var model = nn.Sequential(("fc0", nn.Linear(4, 4)), ("fc1", nn.Linear(4, 4)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ExplodingTotalNorm = 10 });
        using var input = torch.full(8, 4, 1e3f);

        var report = TestModels.Step(model, monitor, input);

        Assert.Contains(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.ExplodingGradients && diagnosis.Threshold == 10);
    }

    [Fact]
    public void A_total_norm_that_keeps_growing_is_exploding()
    {
        using var model = nn.Sequential(("fc0", nn.Linear(4, 4, hasBias: false)), ("fc1", nn.Linear(4, 4, hasBias: false)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ExplodingGrowthCollections = 3, ExplodingGrowthFactor = 10, CollectEvery = 1 });

        var diagnoses = new List<GradientDiagnosis>();
        foreach (float scale in new[] { 0.001f, 0.01f, 0.1f, 1f })
        {
            using var input = torch.full(8, 4, scale);
            diagnoses.AddRange(TestModels.Step(model, monitor, input).Diagnoses);
        }

        var growth = Assert.Single(diagnoses, diagnosis => diagnosis.Kind == GradientProblem.ExplodingGradients);
        Assert.True(growth.Value >= 10, $"growth {growth.Value}");
    }
}
