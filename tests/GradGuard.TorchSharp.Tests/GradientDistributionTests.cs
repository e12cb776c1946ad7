using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// Each gradient's largest magnitude, zero fraction and magnitude histogram against values known by hand (gradients
/// written into <c>.grad</c> after the backward pass) and against the same figures counted on the host from the
/// gradient's elements, on the batched path (gradients of one shape reduced together) and on the path that reduces
/// each alone.
/// </summary>
public class GradientDistributionTests
{
    private static readonly float Tiny = (float)Math.ScaleB(1, -40);

    public static TheoryData<long> Paths => new() { GradientNorms.DefaultBatchedElements, 0 };

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_hand_made_gradient_has_its_known_maximum_zeros_and_bins(long batchedElements)
    {
        using var model = Stack(layers: 3, width: 4);
        using var monitor = GradientMonitor.Attach(model, Options(batchedElements));
        // 16 elements: 5 exact zeros, 1e-13 and 2⁻⁴⁰ in (0, 2⁻⁴⁰], bounds met exactly (0.5, −0.25, 2), one above 2⁸.
        var known = new[] { 0f, 0f, 0f, 0f, 0f, 1e-13f, Tiny, 0.5f, -0.25f, 2f, -3f, 0.3f, 0.3f, 0.3f, -0.3f, -300f };

        var report = Collect(model, monitor, "1.weight", known);

        var weight = report.Parameters.Single(parameter => parameter.Layer == "1" && parameter.Parameter == "weight");
        Assert.Equal(16, weight.Elements);
        Assert.Equal(300, weight.MaxMagnitude);
        Assert.Equal(5 / 16.0, weight.ZeroFraction);
        var histogram = weight.Histogram!;
        Assert.Equal(GradientHistogram.Bins, histogram.Count);
        Assert.Equal(51, GradientHistogram.Bins);
        Assert.Equal(16, histogram.Sum());
        Assert.Equal(5, histogram[0]);
        Assert.Equal(2, histogram[1]);
        // Bin k's upper bound is 2^(k − 41): 0.3 (four of them) and 0.5 in bin 40, 0.25 in 39, 2 in 42, 3 in 43.
        Assert.Equal(5, histogram[40]);
        Assert.Equal(1, histogram[39]);
        Assert.Equal(1, histogram[42]);
        Assert.Equal(1, histogram[43]);
        Assert.Equal(1, histogram[^1]);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_NaN_makes_the_maximum_NaN_and_lands_in_the_last_bin_not_the_zero_bin(long batchedElements)
    {
        using var model = Stack(layers: 3, width: 4);
        using var monitor = GradientMonitor.Attach(model, Options(batchedElements));
        var known = Enumerable.Repeat(0f, 14).Append(float.NaN).Append(float.PositiveInfinity).ToArray();

        var report = Collect(model, monitor, "0.weight", known);

        var weight = report.Parameters.Single(parameter => parameter.Layer == "0" && parameter.Parameter == "weight");
        Assert.True(double.IsNaN(weight.MaxMagnitude!.Value));
        Assert.Equal(14 / 16.0, weight.ZeroFraction);
        Assert.Equal(14, weight.Histogram![0]);
        Assert.Equal(2, weight.Histogram[^1]);
        Assert.Equal(2, weight.NonFiniteCount);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_gradient_of_a_trained_model_has_the_figures_counted_on_the_host(long batchedElements)
    {
        torch.manual_seed(11);
        using var model = nn.Sequential(
            ("conv", nn.Conv2d(3, 8, 3)), ("relu", nn.ReLU()), ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(8 * 6 * 6, 32)), ("relu1", nn.ReLU()), ("fc2", nn.Linear(32, 32)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(32, 32)), ("head", nn.Linear(32, 1)));
        using var monitor = GradientMonitor.Attach(model, Options(batchedElements));
        using var input = torch.randn(4, 3, 8, 8);

        var report = TestModels.Step(model, monitor, input);

        var gradients = model.named_parameters().ToDictionary(entry => entry.name, entry => entry.parameter.grad!.data<float>().ToArray());
        Assert.Equal(gradients.Count, report.Parameters.Count);
        Assert.Contains(report.Parameters, parameter => parameter.ZeroFraction > 0);
        foreach (var parameter in report.Parameters)
        {
            var elements = gradients[$"{parameter.Layer}.{parameter.Parameter}"];
            Assert.Equal(elements.Length, parameter.Elements);
            Assert.Equal(elements.Max(element => Math.Abs(element)), parameter.MaxMagnitude);
            Assert.Equal(elements.Count(element => element == 0) / (double)elements.Length, parameter.ZeroFraction);
            var expected = new long[GradientHistogram.Bins];
            foreach (var element in elements)
            {
                expected[Bin(Math.Abs(element))]++;
            }

            Assert.Equal(expected, parameter.Histogram);
        }
    }

    [Fact]
    public void By_default_none_is_read_and_the_distribution_option_reads_the_maximum_and_zero_fraction_only()
    {
        using var model = Stack(layers: 2, width: 3);
        using var input = torch.ones(2, 3);
        using (var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, MeasureGradientDistribution = true }))
        {
            var parameter = TestModels.Step(model, monitor, input).Parameters[0];
            Assert.NotNull(parameter.MaxMagnitude);
            Assert.NotNull(parameter.ZeroFraction);
            Assert.Null(parameter.Histogram);
        }

        using (var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 }))
        {
            var parameter = TestModels.Step(model, monitor, input).Parameters[0];
            Assert.Null(parameter.MaxMagnitude);
            Assert.Null(parameter.ZeroFraction);
            Assert.Null(parameter.Histogram);
        }
    }

    [Fact]
    public void The_bounds_are_zero_then_every_power_of_two_from_minus_40_to_8_then_infinity()
    {
        var bounds = GradientHistogram.UpperBounds;
        Assert.Equal(0, bounds[0]);
        Assert.Equal(9.094947017729282e-13, bounds[1]);
        Assert.Equal(256, bounds[^2]);
        Assert.Equal(double.PositiveInfinity, bounds[^1]);
        Assert.All(Enumerable.Range(2, bounds.Count - 3), bin => Assert.Equal(2 * bounds[bin - 1], bounds[bin]));
    }

    /// <summary>The bin of a magnitude by the documented rule: the first bound it does not exceed; NaN in the last.</summary>
    private static int Bin(double magnitude)
    {
        var bounds = GradientHistogram.UpperBounds;
        int bin = Enumerable.Range(0, bounds.Count).FirstOrDefault(bin => magnitude <= bounds[bin], -1);
        return bin < 0 ? bounds.Count - 1 : bin;
    }

    private static GradientMonitorOptions Options(long batchedElements) =>
        new() { CollectEvery = 1, MeasureGradientHistogram = true, BatchedGradientElements = batchedElements };

    /// <summary>Layers of equal shape, so that the batched path concatenates their weight gradients.</summary>
    private static nn.Module<Tensor, Tensor> Stack(int layers, int width) =>
        nn.Sequential(Enumerable.Range(0, layers).Select(layer => ($"{layer}", (nn.Module<Tensor, Tensor>)nn.Linear(width, width))).ToArray());

    /// <summary>A backward pass, then <paramref name="parameterName"/>'s gradient overwritten with <paramref name="values"/>, then one collection.</summary>
    private static GradientReport Collect(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, string parameterName, float[] values)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        using var input = torch.ones(2, 4);
        model.call(input).sum().backward();
        using (torch.no_grad())
        {
            var gradient = model.named_parameters().Single(entry => entry.name == parameterName).parameter.grad!;
            using var known = torch.tensor(values).reshape(gradient.shape);
            gradient.copy_(known);
        }

        return monitor.Collect() ?? throw new InvalidOperationException("The step was not collected.");
    }
}
