using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>A NaN planted in a known module is traced to that module, and the step is marked to be skipped.</summary>
public class NonFiniteOriginTests
{
    private static GradientMonitorOptions Locating => new() { LocateNonFinite = true };

    [Fact]
    public void A_NaN_weight_is_born_in_its_layer_not_in_the_layers_it_reaches()
    {
        using var model = nn.Sequential(("fc1", nn.Linear(4, 4)), ("relu", nn.ReLU()), ("fc2", nn.Linear(4, 4)), ("fc3", nn.Linear(4, 1)));
        using (torch.no_grad())
        {
            ((Linear)model[2]).weight![1, 2] = float.NaN;
        }

        using var monitor = GradientMonitor.Attach(model, Locating);
        var report = Step(model, monitor)!;

        Assert.Equal("fc2", report.NonFiniteOrigin);
        Assert.True(report.SkipStep);
        var diagnosis = Assert.Single(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.NonFiniteGradients);
        Assert.Contains("It was born in 'fc2'", diagnosis.Message);
        Assert.Contains("Skip this step", diagnosis.Message);
    }

    [Fact]
    public void A_NaN_made_by_a_block_s_own_code_is_born_in_the_block_and_one_made_by_a_second_call_names_that_call()
    {
        using var model = nn.Sequential(("fc", nn.Linear(4, 4)), ("block", new LogOfLinear()), ("head", nn.Linear(4, 1)));

        using var monitor = GradientMonitor.Attach(model, Locating);
        var report = Step(model, monitor)!;

        // The block's Linear returns finite values, some negative; the block's log() turns them into NaN.
        Assert.Equal("block", report.NonFiniteOrigin);
    }

    [Fact]
    public void A_module_called_twice_is_named_by_the_call_that_made_the_NaN()
    {
        using var model = new TwiceThroughLog();

        using var monitor = GradientMonitor.Attach(model, Locating);
        var report = Step(model, monitor)!;

        // The first call takes exp(x) > 0 and returns finite logs, some negative; the second call's log of those is NaN.
        Assert.Equal("log#2", report.NonFiniteOrigin);
    }

    [Fact]
    public void A_non_finite_batch_is_reported_as_the_input()
    {
        using var model = nn.Sequential(("fc1", nn.Linear(4, 4)), ("fc2", nn.Linear(4, 1)));
        using var monitor = GradientMonitor.Attach(model, Locating);
        using var input = torch.tensor(new float[] { 1, float.PositiveInfinity, 0, 0 }).reshape(1, 4);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal("(input)", report.NonFiniteOrigin);
        Assert.Contains("The model's input was already non-finite", Assert.Single(report.Diagnoses).Message);
    }

    [Fact]
    public void A_healthy_step_has_no_origin_and_is_not_skipped_and_the_search_can_be_turned_off()
    {
        using var healthy = nn.Sequential(("fc1", nn.Linear(4, 4)), ("fc2", nn.Linear(4, 1)));
        using var broken = nn.Sequential(("fc", nn.Linear(4, 4)), ("block", new LogOfLinear()), ("head", nn.Linear(4, 1)));

        using var healthyMonitor = GradientMonitor.Attach(healthy, Locating);
        using var brokenMonitor = GradientMonitor.Attach(broken, new GradientMonitorOptions { LocateNonFinite = false });
        var fine = Step(healthy, healthyMonitor)!;
        var unlocated = Step(broken, brokenMonitor)!;

        Assert.Null(fine.NonFiniteOrigin);
        Assert.False(fine.SkipStep);
        Assert.Null(unlocated.NonFiniteOrigin);
        Assert.True(unlocated.SkipStep);
    }

    [Fact]
    public void The_origin_is_that_of_the_collected_pass_not_of_an_evaluation_or_a_skipped_one()
    {
        using var model = nn.Sequential(("fc", nn.Linear(4, 4)), ("block", new LogOfLinear()), ("head", nn.Linear(4, 1)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 2, LocateNonFinite = true });

        var first = Step(model, monitor);
        Assert.Null(Step(model, monitor, collected: false));
        using (torch.no_grad())
        {
            using var evaluation = model.call(torch.ones(3, 4));
        }

        var third = Step(model, monitor);

        Assert.Equal("block", first!.NonFiniteOrigin);
        Assert.Equal("block", third!.NonFiniteOrigin);
    }

    /// <summary>Forward on a fixed batch whose values reach every unit, backward of the sum, and a collection.</summary>
    private static GradientReport? Step(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, bool collected = true)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        model.zero_grad();
        model.call(torch.randn(8, 4)).sum().backward();
        var report = monitor.Collect();
        if (collected && report is null)
        {
            throw new InvalidOperationException("The step was not collected.");
        }

        return report;
    }

    /// <summary>log of a Linear's output: NaN wherever the Linear returns a negative value.</summary>
    private sealed class LogOfLinear : nn.Module<Tensor, Tensor>
    {
        private readonly Linear linear = nn.Linear(4, 4);

        public LogOfLinear() : base(nameof(LogOfLinear)) => RegisterComponents();

        public override Tensor forward(Tensor input) => linear.call(input).log();
    }

    private sealed class Log : nn.Module<Tensor, Tensor>
    {
        public Log() : base(nameof(Log))
        {
        }

        public override Tensor forward(Tensor input) => input.log();
    }

    /// <summary>fc, then exp, then the same log module twice: log(exp(x)) = x is finite, log(x) is NaN where x &lt; 0.</summary>
    private sealed class TwiceThroughLog : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc = nn.Linear(4, 4);
        private readonly Log log = new();
        private readonly Linear head = nn.Linear(4, 1);

        public TwiceThroughLog() : base(nameof(TwiceThroughLog)) => RegisterComponents();

        public override Tensor forward(Tensor input) => head.call(log.call(log.call(fc.call(input).exp())));
    }
}
