using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// ‖Δw‖/‖w‖ against hand computation. The layer is W = [[1, 0, 0], [0, 1, 0]] (‖W‖ = √2), the input x = (1, 1, 1) and
/// the loss mean(y²) over y = Wx = (1, 1), so ∂L/∂y = y and ∂L/∂W = y xᵀ, six ones: ‖g‖ = √6. SGD with rate η moves W
/// by η√6, a ratio of η√3; Adam's first step moves every element with a gradient by its rate, √6·η again.
/// </summary>
public class UpdateRatioTests
{
    /// <summary>Every call collects: these tests count collections, whatever the monitor's cost budget would choose.</summary>
    private static GradientMonitorOptions EveryStep => new() { CollectEvery = 1 };

    [Theory]
    [InlineData("sgd", 0.01)]
    [InlineData("adam", 0.001)]
    public void The_ratio_of_a_known_optimizer_step_is_its_rate_times_root_three(string optimizerName, double rate)
    {
        using var layer = KnownLayer();
        using var optimizer = optimizerName == "sgd" ? torch.optim.SGD(layer.parameters(), rate) : (optim.Optimizer)torch.optim.Adam(layer.parameters(), rate);
        using var monitor = GradientMonitor.Attach(layer, EveryStep);

        var first = Train(layer, optimizer, monitor);
        var second = Train(layer, optimizer, monitor);

        Assert.Empty(first!.UpdateRatios);
        var ratio = Assert.Single(second!.UpdateRatios);
        Assert.Equal("", ratio.Layer);
        Assert.Equal(Math.Sqrt(2), ratio.WeightNorm, 6);
        Assert.Equal(rate * Math.Sqrt(6), ratio.UpdateNorm, 6);
        Assert.Equal(rate * Math.Sqrt(3), ratio.Ratio, 6);
    }

    [Fact]
    public void With_collections_every_third_call_the_ratio_is_that_of_the_step_after_the_previous_collection()
    {
        using var layer = KnownLayer();
        using var optimizer = torch.optim.SGD(layer.parameters(), 0.01);
        using var monitor = GradientMonitor.Attach(layer, new GradientMonitorOptions { CollectEvery = 3 });

        var reports = Enumerable.Range(0, 4).Select(_ => Train(layer, optimizer, monitor)).ToList();

        Assert.Null(reports[1]);
        Assert.Null(reports[2]);
        Assert.Equal(0.01 * Math.Sqrt(3), Assert.Single(reports[3]!.UpdateRatios).Ratio, 6);
    }

    [Fact]
    public void A_layer_too_big_to_copy_whole_is_measured_on_a_sample_within_a_few_percent_of_the_whole()
    {
        torch.manual_seed(7);
        using var layer = nn.Linear(256, 256);
        using var optimizer = torch.optim.SGD(layer.parameters(), 0.1);
        using var monitor = GradientMonitor.Attach(layer, EveryStep);
        using var input = torch.randn(32, 256);

        using var before = layer.weight!.detach().clone();
        TrainOn(input, layer, optimizer, monitor);
        using var after = layer.weight!.detach().clone();
        var next = TrainOn(input, layer, optimizer, monitor);

        // 65 536 weights, more than the 4096 copied whole, so 274 runs of 16 are: against the ratio over every weight.
        using var update = after - before;
        double whole = update.norm().item<float>() / before.norm().item<float>();
        Assert.InRange(Assert.Single(next!.UpdateRatios).Ratio / whole, 0.95, 1.05);
    }

    /// <remarks>
    /// mid1 and mid2 share a shape and are copied and measured together (one row each), stem and head alone; the two
    /// 256×256 layers together on their runs. Each ratio is checked against its own layer's, in forward order.
    /// </remarks>
    [Fact]
    public void Layers_measured_together_get_each_its_own_ratio_in_forward_order()
    {
        using var declaredBackwards = new DeclaredBackwards();
        AssertRatiosOfOneStep(declaredBackwards, Reference.Input(8));

        torch.manual_seed(11);
        using var wide = nn.Sequential(("first", nn.Linear(256, 256)), ("relu", nn.ReLU()), ("second", nn.Linear(256, 256)));
        using var input = torch.randn(16, 256);
        AssertRatiosOfOneStep(wide, input);
    }

    private static void AssertRatiosOfOneStep(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        using var monitor = GradientMonitor.Attach(model, EveryStep);

        var first = TrainModel(model, input, optimizer, monitor, out var atFirst);
        var second = TrainModel(model, input, optimizer, monitor, out var atSecond);

        var expected = first.WeightGradients.Select(weight =>
        {
            using var before = UpdateSample.Of(atFirst[weight.Layer]);
            using var after = UpdateSample.Of(atSecond[weight.Layer]);
            using var update = after - before;
            return (weight.Layer, update.norm().item<float>() / (double)before.norm().item<float>());
        }).ToList();
        Assert.Equal(expected.Select(entry => entry.Layer), second.UpdateRatios.Select(ratio => ratio.Layer));
        Assert.All(expected.Zip(second.UpdateRatios), pair => Assert.Equal(pair.First.Item2, pair.Second.Ratio, pair.First.Item2 * 1e-5));
        atFirst.Values.Concat(atSecond.Values).ToList().ForEach(weight => weight.Dispose());
    }

    /// <summary>A training step that also keeps a copy of each weight matrix as the collection saw it, by layer.</summary>
    private static GradientReport TrainModel(nn.Module<Tensor, Tensor> model, Tensor input, optim.Optimizer optimizer, GradientMonitor monitor, out Dictionary<string, Tensor> weights)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var output = model.call(input);
        nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
        var report = monitor.Collect()!;
        weights = report.WeightGradients.ToDictionary(
            weight => weight.Layer,
            weight => model.named_parameters().Single(entry => entry.name == $"{weight.Layer}.weight").parameter.detach().clone().DetachFromDisposeScope());
        optimizer.step();
        return report;
    }

    [Fact]
    public void Without_an_optimizer_step_between_collections_there_is_no_ratio_and_no_diagnosis()
    {
        using var layer = KnownLayer();
        using var monitor = GradientMonitor.Attach(layer, EveryStep);
        using var input = torch.ones(1, 3);

        TestModels.Step(layer, monitor, input);
        var second = TestModels.Step(layer, monitor, input);

        Assert.Empty(second.UpdateRatios);
        Assert.Empty(second.Diagnoses);
    }

    /// <remarks>
    /// At rate 1e-9 float32 keeps 1 − 1e-9 at 1, so only the four zero weights move: ‖Δw‖ = 2e-9, a ratio of √2·1e-9.
    /// At rate 10 every weight moves by 10: 10√3.
    /// </remarks>
    [Theory]
    [InlineData(1e-9, 1.4142135623730951e-9, GradientProblem.UpdatesTooSmall)]
    [InlineData(10.0, 17.320508075688775, GradientProblem.UpdatesTooLarge)]
    public void Updates_far_outside_the_healthy_range_are_diagnosed_once_per_episode(double rate, double ratio, GradientProblem expected)
    {
        using var layer = KnownLayer();
        using var optimizer = torch.optim.SGD(layer.parameters(), rate);
        using var monitor = GradientMonitor.Attach(layer, EveryStep);

        var reports = Enumerable.Range(0, 4).Select(_ => Train(layer, optimizer, monitor)!).ToList();

        var diagnosis = Assert.Single(reports.SelectMany(report => report.Diagnoses), diagnosis => diagnosis.Kind == expected);
        Assert.Same(diagnosis, Assert.Single(reports[1].Diagnoses, candidate => candidate.Kind == expected));
        Assert.Equal(ratio, diagnosis.Value, ratio * 1e-6);
        Assert.Contains("1 of 1 weight layers", diagnosis.Message);
    }

    [Fact]
    public void Thresholds_are_options_and_must_be_ordered()
    {
        using var layer = KnownLayer();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GradientMonitor.Attach(layer, new GradientMonitorOptions { SmallUpdateRatio = 0.5, LargeUpdateRatio = 0.1 }));
        Assert.Equal(nameof(GradientMonitorOptions.LargeUpdateRatio), error.ParamName);
    }

    private static Linear KnownLayer()
    {
        var layer = nn.Linear(3, 2, hasBias: false);
        using var noGrad = torch.no_grad();
        using var weights = torch.tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(2, 3);
        layer.weight!.copy_(weights);
        return layer;
    }

    /// <summary>A full training step with the input x = (1, 1, 1): forward, backward, collection, optimizer step.</summary>
    private static GradientReport? Train(Linear layer, optim.Optimizer optimizer, GradientMonitor monitor)
    {
        using var input = torch.ones(1, 3);
        return TrainOn(input, layer, optimizer, monitor);
    }

    private static GradientReport? TrainOn(Tensor input, Linear layer, optim.Optimizer optimizer, GradientMonitor monitor)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var output = layer.call(input);
        var loss = nn.functional.mse_loss(output, torch.zeros_like(output));
        loss.backward();
        var report = monitor.Collect(loss);
        optimizer.step();
        return report;
    }
}
