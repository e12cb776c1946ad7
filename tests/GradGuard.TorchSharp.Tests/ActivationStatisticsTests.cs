using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class ActivationStatisticsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    public void Dead_units_are_the_ReLU_units_that_output_zero_for_the_whole_batch(int dead)
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(4, TestModels.NegativeFirst(8, dead))), ("relu", nn.ReLU()), ("head", nn.Linear(8, 1)));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(5, 4);

        var report = TestModels.Step(model, monitor, input);

        var relu = Assert.Single(report.Activations);
        Assert.Equal(("relu", ActivationKind.Rectifier, ActivationSource.ForwardHook), (relu.Layer, relu.Kind, relu.Source));
        Assert.Equal(8, relu.Units);
        Assert.Equal(dead, relu.DeadUnits);
    }

    [Fact]
    public void A_unit_alive_for_one_example_is_not_dead()
    {
        using var model = nn.Sequential(("fc", nn.Linear(1, 2, hasBias: false)), ("relu", nn.ReLU()));
        using (torch.no_grad())
        {
            using var weights = torch.tensor(new float[] { 1, -1 }).reshape(2, 1);
            model.parameters().Single().copy_(weights);
        }

        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.tensor(new float[] { 1, 2, 3 }).reshape(3, 1);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(1, report.Activations.Single().DeadUnits);
    }

    [Fact]
    public void Convolution_channels_are_the_units()
    {
        using var conv = nn.Conv2d(1, 4, 3, padding: 1);
        using (torch.no_grad())
        {
            conv.weight!.zero_();
            using var bias = torch.tensor(new float[] { -1, -1, 1, 1 });
            conv.bias!.copy_(bias);
        }

        using var model = nn.Sequential(("conv", conv), ("relu", nn.ReLU()));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(2, 1, 5, 5);

        var report = TestModels.Step(model, monitor, input);

        var relu = report.Activations.Single();
        Assert.Equal((4L, 2L), (relu.Units, relu.DeadUnits));
    }

    [Fact]
    public void A_functional_ReLU_is_recognised_from_the_next_layer_s_input_and_its_dead_units_counted()
    {
        using var model = new FunctionalReluNetwork(TestModels.ConstantLinear(4, TestModels.NegativeFirst(10, 8)), nn.Linear(10, 2));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(7, 4);

        var report = TestModels.Step(model, monitor, input);

        var site = Assert.Single(report.Activations);
        Assert.Equal(("fc1", ActivationKind.Rectifier, ActivationSource.FunctionalCall, 10L, 8L), (site.Layer, site.Kind, site.Source, site.Units, site.DeadUnits));
        var dying = Assert.Single(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.DyingRelu);
        Assert.Equal("fc1", dying.Layer);
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    public void Saturated_fraction_is_the_share_of_pre_activations_beyond_the_threshold(string activation)
    {
        var bias = new float[] { 10, -10, 6, 0.5f, 0, -4.9f, 0, 0 };
        using var model = nn.Sequential(
            ("fc", TestModels.ConstantLinear(3, bias)),
            ("act", activation == "sigmoid" ? nn.Sigmoid() : nn.Tanh()));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(4, 3);

        var report = TestModels.Step(model, monitor, input);

        var statistics = report.Activations.Single();
        Assert.Equal(ActivationKind.Saturating, statistics.Kind);
        Assert.Equal(3.0 / 8, statistics.SaturatedFraction!.Value, 12);
        Assert.DoesNotContain(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.SaturatedActivations);
    }

    [Fact]
    public void A_mostly_saturated_layer_is_diagnosed()
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(3, new float[] { 10, -10, 7, 0 })), ("act", nn.Sigmoid()));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(4, 3);

        var report = TestModels.Step(model, monitor, input);

        var diagnosis = Assert.Single(report.Diagnoses);
        Assert.Equal((GradientProblem.SaturatedActivations, "act", 0.75), (diagnosis.Kind, diagnosis.Layer, diagnosis.Value));
    }

    [Fact]
    public void Passes_under_no_grad_do_not_replace_the_training_pass()
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(2, TestModels.NegativeFirst(4, 1))), ("relu", nn.ReLU()));
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(3, 2);

        model.zero_grad();
        using (var scope = torch.NewDisposeScope())
        {
            var output = model.call(input);
            nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
            using (torch.no_grad())
            {
                model.named_parameters().Single(entry => entry.name == "fc.bias").parameter.fill_(-1);
                model.call(input);
            }
        }

        var report = monitor.Collect()!;

        Assert.Equal(1, report.Activations.Single().DeadUnits);
    }
}
