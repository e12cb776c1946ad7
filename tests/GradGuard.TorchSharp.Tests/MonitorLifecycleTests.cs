using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class MonitorLifecycleTests
{
    [Fact]
    public void Every_module_gets_one_hook_before_and_one_after_its_call_and_Dispose_removes_them()
    {
        using var model = nn.Sequential(("fc", nn.Linear(2, 2)), ("relu", nn.ReLU()), ("head", nn.Linear(2, 2)), ("sigmoid", nn.Sigmoid()));
        var modules = model.modules().ToList();

        var monitor = GradientMonitor.Attach(model);
        Assert.All(modules, module => Assert.Equal((1, 1), TestModels.HookCounts(module)));
        monitor.Dispose();

        Assert.All(modules, module => Assert.Equal((0, 0), TestModels.HookCounts(module)));
    }

    [Fact]
    public void Collect_after_Dispose_says_the_monitor_is_disposed()
    {
        using var model = nn.Linear(2, 2);
        var monitor = GradientMonitor.Attach(model);
        monitor.Dispose();
        monitor.Dispose();

        Assert.Throws<ObjectDisposedException>(() => monitor.Collect());
    }

    [Fact]
    public void Two_monitors_on_one_model_measure_independently()
    {
        using var model = nn.Sequential(("fc", TestModels.ConstantLinear(2, TestModels.NegativeFirst(4, 2))), ("relu", nn.ReLU()));
        using var first = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "first" });
        var second = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "second" });
        using var input = torch.randn(3, 2);

        var firstReport = TestModels.Step(model, first, input);
        var secondReport = second.Collect()!;
        second.Dispose();
        var afterSecondDisposed = TestModels.Step(model, first, input);

        Assert.Equal(2, firstReport.Activations.Single().DeadUnits);
        Assert.Equal(2, secondReport.Activations.Single().DeadUnits);
        Assert.Equal(2, afterSecondDisposed.Activations.Single().DeadUnits);
    }

    [Fact]
    public void Collecting_before_any_backward_pass_reports_every_parameter_as_skipped()
    {
        using var model = nn.Linear(3, 2);
        using var monitor = GradientMonitor.Attach(model);

        var report = monitor.Collect()!;

        Assert.Empty(report.Parameters);
        Assert.Equal(new[] { "weight", "bias" }, report.SkippedParameters);
        Assert.Equal(0, report.TotalNorm);
        Assert.Empty(report.Diagnoses);
    }

    [Fact]
    public void CollectEvery_skips_the_calls_in_between_and_their_activations()
    {
        using var model = nn.Sequential(("fc", nn.Linear(2, 2)), ("relu", nn.ReLU()));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 3 });
        using var input = torch.randn(4, 2);

        var collected = new List<long>();
        for (int step = 0; step < 7; step++)
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad();
            model.call(input).sum().backward();
            if (monitor.Collect() is { } report)
            {
                collected.Add(report.Step);
                Assert.Single(report.Activations);
            }
        }

        Assert.Equal(new long[] { 1, 4, 7 }, collected);
    }

    [Fact]
    public void Attaching_to_a_module_without_parameters_names_the_problem()
    {
        using var relu = nn.ReLU();

        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(relu));

        Assert.Contains("no parameters", error.Message);
    }

    [Fact]
    public void Attaching_to_a_disposed_module_names_the_problem()
    {
        var model = nn.Sequential(("fc", nn.Linear(2, 2)));
        model.Dispose();

        var error = Assert.Throws<ArgumentException>(() => GradientMonitor.Attach(model));

        Assert.Contains("disposed", error.Message);
    }

    [Theory]
    [InlineData(nameof(GradientMonitorOptions.CollectEvery), 0)]
    [InlineData(nameof(GradientMonitorOptions.CostBudget), 0.0)]
    [InlineData(nameof(GradientMonitorOptions.CostBudget), 1.0)]
    [InlineData(nameof(GradientMonitorOptions.VanishingRatio), -1.0)]
    [InlineData(nameof(GradientMonitorOptions.DyingFraction), 1.5)]
    [InlineData(nameof(GradientMonitorOptions.LayerDecayFactor), 1.0)]
    [InlineData(nameof(GradientMonitorOptions.UnitDimension), 2)]
    [InlineData(nameof(GradientMonitorOptions.MaxPublishedLayers), 0)]
    [InlineData(nameof(GradientMonitorOptions.PublishedLayerDepth), 0)]
    [InlineData(nameof(GradientMonitorOptions.DyingMeasure), 7)]
    public void Invalid_options_are_rejected_with_a_message_naming_the_option(string option, object value)
    {
        var options = new GradientMonitorOptions();
        var property = typeof(GradientMonitorOptions).GetProperty(option)!;
        property.SetValue(options, property.PropertyType.IsEnum ? Enum.ToObject(property.PropertyType, value) : value);
        using var model = nn.Linear(2, 2);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GradientMonitor.Attach(model, options));

        Assert.Equal(option, error.ParamName);
        Assert.Contains($"GradientMonitorOptions.{option}", error.Message);
    }
}
