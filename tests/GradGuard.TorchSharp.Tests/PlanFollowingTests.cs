using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// Passes that follow the learned plan measure only what the plan names; the pass it was learned from measures
/// everything. Both must count the same dead units, whatever the batch, and a pass that leaves the plan must be noticed.
/// </summary>
public class PlanFollowingTests
{
    [Fact]
    public void Passes_that_follow_the_plan_count_the_dead_units_the_learning_pass_counted_whatever_their_batch()
    {
        using var model = nn.Sequential(
            ("fc1", TestModels.ConstantLinear(4, TestModels.NegativeFirst(8, 3))), ("relu1", nn.ReLU()),
            ("fc2", TestModels.ConstantLinear(8, TestModels.NegativeFirst(6, 4))), ("relu2", nn.ReLU()),
            ("head", nn.Linear(6, 1)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });

        foreach (int batch in new[] { 5, 5, 9, 1 })
        {
            using var input = torch.randn(batch, 4);
            var report = TestModels.Step(model, monitor, input);

            Assert.Equal(new[] { ("relu1", 8L, 3L), ("relu2", 6L, 4L) },
                report.Activations.Select(site => (site.Layer, site.Units, site.DeadUnits ?? -1)));
        }
    }

    [Fact]
    public void A_site_whose_units_change_under_the_same_calls_is_counted_right()
    {
        using var model = new RectifiedInput();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });

        // The same calls in every pass, so the plan holds, but the rectifier sees 8 units, then 6, then 8 again.
        foreach (var (features, dead) in new[] { (8, 3), (8, 2), (6, 5), (8, 1) })
        {
            using var input = PlantedInput(batch: 7, features, dead);
            var report = TestModels.Step(model, monitor, input);

            var site = Assert.Single(report.Activations);
            Assert.Equal(("relu", (long)features, (long)dead), (site.Layer, site.Units, site.DeadUnits ?? -1));
        }
    }

    [Fact]
    public void A_branch_the_data_chooses_is_noticed_and_each_pass_reports_the_sites_it_ran()
    {
        using var model = new DataBranch();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });

        // Positive inputs take the left branch, negative ones the right: the plan learned from one must not measure the other.
        foreach (var (sign, expected) in new[] { (1, ("left", "leftRelu", 2L)), (1, ("left", "leftRelu", 2L)), (-1, ("right", "rightRelu", 5L)), (-1, ("right", "rightRelu", 5L)), (1, ("left", "leftRelu", 2L)) })
        {
            using var input = torch.rand(6, 4).add(0.1).mul(sign);
            var report = TestModels.Step(model, monitor, input);

            Assert.Equal(new[] { "stem", expected.Item1, "head" }, report.WeightGradients.Select(weight => weight.Layer));
            Assert.Equal(new[] { ("stemRelu", 0L), (expected.Item2, expected.Item3) }, report.Activations.Select(site => (site.Layer, site.DeadUnits ?? -1)));
        }
    }

    /// <summary>Inputs whose first <paramref name="dead"/> features are ≤ 0 in every example and the others positive in one.</summary>
    private static Tensor PlantedInput(int batch, int features, int dead)
    {
        using var scope = torch.NewDisposeScope();
        var values = torch.rand(batch, features).sub(1.5);
        values[0, TensorIndex.Slice(dead)] = torch.ones(features - dead);
        values[TensorIndex.Colon, TensorIndex.Slice(0, dead)] = torch.zeros(batch, dead).sub(0.5);
        return values.MoveToOuterDisposeScope();
    }

    /// <summary>A stem, then one of two branches chosen by the sign of the input's mean, each with a planted number of dead units.</summary>
    private sealed class DataBranch : nn.Module<Tensor, Tensor>
    {
        private readonly Linear stem = TestModels.ConstantLinear(4, Enumerable.Repeat(1f, 8).ToArray());
        private readonly ReLU stemRelu = nn.ReLU();
        private readonly Linear left = TestModels.ConstantLinear(8, TestModels.NegativeFirst(8, 2));
        private readonly ReLU leftRelu = nn.ReLU();
        private readonly Linear right = TestModels.ConstantLinear(8, TestModels.NegativeFirst(8, 5));
        private readonly ReLU rightRelu = nn.ReLU();
        private readonly Linear head = nn.Linear(8, 1);

        public DataBranch() : base(nameof(DataBranch)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var hidden = stemRelu.call(stem.call(input));
            bool positive = input.mean().item<float>() > 0;
            using var branched = positive ? leftRelu.call(left.call(hidden)) : rightRelu.call(right.call(hidden));
            return head.call(branched);
        }
    }

    /// <summary>A ReLU module on the raw input, summed to one feature for the head: its units are whatever the input's are.</summary>
    private sealed class RectifiedInput : nn.Module<Tensor, Tensor>
    {
        private readonly ReLU relu = nn.ReLU();
        private readonly Linear head = nn.Linear(1, 1);

        public RectifiedInput() : base(nameof(RectifiedInput)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var rectified = relu.call(input);
            using var summed = rectified.sum(1, keepdim: true);
            return head.call(summed);
        }
    }
}
