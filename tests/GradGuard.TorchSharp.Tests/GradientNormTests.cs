using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class GradientNormTests
{
    [Fact]
    public void Norms_equal_the_norms_computed_directly_from_each_gradient()
    {
        torch.manual_seed(7);
        using var model = nn.Sequential(("fc0", nn.Linear(5, 7)), ("act0", nn.Tanh()), ("fc1", nn.Linear(7, 3)));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(11, 5);

        var report = TestModels.Step(model, monitor, input);

        var expected = model.named_parameters().ToDictionary(entry => entry.name, entry => entry.parameter.grad!.norm().item<float>());
        Assert.Equal(expected.Count, report.Parameters.Count);
        foreach (var parameter in report.Parameters)
        {
            Assert.Equal(expected[$"{parameter.Layer}.{parameter.Parameter}"], parameter.Norm, 6);
        }

        double expectedTotal = Math.Sqrt(expected.Values.Sum(norm => (double)norm * norm));
        Assert.Equal(expectedTotal, report.TotalNorm, 6);
    }

    [Fact]
    public void Layers_are_reported_from_input_to_output_with_their_weight_matrices_marked()
    {
        torch.manual_seed(7);
        using var model = nn.Sequential(
            ("block", nn.Sequential(("linear", nn.Linear(4, 4)), ("norm", nn.LayerNorm(4)))),
            ("head", nn.Linear(4, 2)));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(3, 4);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(
            new[] { "block.linear.weight", "block.linear.bias", "block.norm.weight", "block.norm.bias", "head.weight", "head.bias" },
            report.Parameters.Select(parameter => $"{parameter.Layer}.{parameter.Parameter}"));
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2 }, report.Parameters.Select(parameter => parameter.LayerIndex));
        Assert.Equal(new[] { "block.linear", "head" }, report.WeightGradients.Select(weight => weight.Layer));
        Assert.Equal(report.WeightGradients.First().Norm / report.WeightGradients.Last().Norm, report.FirstToLastRatio, 12);
    }

    [Fact]
    public void NaN_and_infinite_gradients_are_counted_and_diagnosed_never_thrown()
    {
        using var linear = nn.Linear(4, 2);
        using var monitor = GradientMonitor.Attach(linear);
        using var input = torch.tensor(new float[] { 1, float.NaN, 1, float.PositiveInfinity }).reshape(1, 4);

        var report = TestModels.Step(linear, monitor, input);

        var weight = report.Parameters.Single(parameter => parameter.Parameter == "weight");
        Assert.True(double.IsNaN(weight.Norm));
        Assert.Equal(8, weight.NonFiniteCount);
        var diagnosis = Assert.Single(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.NonFiniteGradients);
        Assert.Equal(8 + report.Parameters.Single(parameter => parameter.Parameter == "bias").NonFiniteCount, diagnosis.Value);
    }

    [Fact]
    public void Parameters_without_a_gradient_are_skipped_and_named()
    {
        using var model = nn.Sequential(("frozen", nn.Linear(3, 3)), ("trained", nn.Linear(3, 1)));
        foreach (var (_, parameter) in model.named_parameters().Where(entry => entry.name.StartsWith("frozen", StringComparison.Ordinal)))
        {
            parameter.requires_grad = false;
        }

        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(2, 3);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(new[] { "frozen.weight", "frozen.bias" }, report.SkippedParameters);
        Assert.All(report.Parameters, parameter => Assert.Equal("trained", parameter.Layer));
    }

    [Fact]
    public void A_parameter_shared_by_two_modules_is_counted_once()
    {
        using var shared = nn.Linear(3, 3);
        using var model = new SharedLayerNetwork(shared);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(2, 3);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(2, report.Parameters.Count);
        Assert.Equal(shared.weight!.grad!.norm().item<float>(), report.Parameters.Single(parameter => parameter.Parameter == "weight").Norm, 6);
    }

    [Fact]
    public void Clipping_reports_the_total_norm_before_it_and_bounds_the_norm_after_it()
    {
        torch.manual_seed(3);
        using var model = nn.Sequential(("fc0", nn.Linear(8, 8)), ("fc1", nn.Linear(8, 8)));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(16, 8) * 100;

        model.zero_grad();
        using (var scope = torch.NewDisposeScope())
        {
            var output = model.call(input);
            nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
        }

        double before = Math.Sqrt(model.parameters().Sum(parameter => Math.Pow(parameter.grad!.norm().item<float>(), 2)));
        monitor.ClipGradients(1.0);
        var report = monitor.Collect()!;

        Assert.True(before > 1.0, $"the test needs a gradient larger than the clip norm; it was {before}");
        Assert.Equal(before, report.PreClipTotalNorm!.Value, before * 1e-5);
        Assert.InRange(report.TotalNorm, 0.999, 1.0 + 1e-5);
    }
}
