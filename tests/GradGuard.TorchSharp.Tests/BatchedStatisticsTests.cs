using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// The batched path (small gradients of one shape reduced together, per-unit figures counted on the host) against the
/// path that reduces every gradient on its own: two monitors on the same model, the same steps, identical reports.
/// </summary>
public class BatchedStatisticsTests
{
    public static TheoryData<string> Models => new() { "deep-mlp", "convnet", "declared-backwards", "residual-blocks", "through-forward", "functional", "frozen-and-shared" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Batched_norms_counts_and_diagnoses_equal_those_of_one_reduction_per_gradient(string name)
    {
        var (model, input) = Build(name);
        using (model)
        using (input)
        {
            using var batched = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, ModelName = "batched" });
            using var alone = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1, ModelName = "alone", BatchedGradientElements = 0 });
            using var optimizer = torch.optim.SGD(model.parameters(), 0.05);

            for (int step = 0; step < 3; step++)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                var output = model.call(input);
                nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
                var fromBatch = batched.Collect()!;
                var fromEach = alone.Collect()!;
                optimizer.step();

                Assert.Equal(fromEach.Parameters, fromBatch.Parameters);
                Assert.Equal(fromEach.Activations, fromBatch.Activations);
                Assert.Equal(fromEach.TotalNorm, fromBatch.TotalNorm);
                Assert.Equal(fromEach.Diagnoses.Select(diagnosis => (diagnosis.Kind, diagnosis.Layer, diagnosis.Value, diagnosis.Message)),
                    fromBatch.Diagnoses.Select(diagnosis => (diagnosis.Kind, diagnosis.Layer, diagnosis.Value, diagnosis.Message)));
            }
        }
    }

    [Fact]
    public void Batched_norms_are_the_norms_of_each_gradient_bit_for_bit()
    {
        torch.manual_seed(3);
        using var model = Stack(layers: 12, width: 24);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(16, 24);

        var report = TestModels.Step(model, monitor, input);

        var expected = model.named_parameters().ToDictionary(entry => entry.name, entry => (double)entry.parameter.grad!.norm().item<float>());
        Assert.Equal(expected.Count, report.Parameters.Count);
        Assert.All(report.Parameters, parameter => Assert.Equal(expected[$"{parameter.Layer}.{parameter.Parameter}"], parameter.Norm));
    }

    [Fact]
    public void A_NaN_in_a_batched_gradient_is_counted_in_that_gradient_only()
    {
        using var model = Stack(layers: 4, width: 6);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.ones(3, 6);
        model.zero_grad();
        using (var scope = torch.NewDisposeScope())
        {
            model.call(input).sum().backward();
        }

        var poisoned = model.named_parameters().Single(entry => entry.name == "2.weight").parameter;
        using (torch.no_grad())
        using (var element = poisoned.grad![1, 2])
        {
            element.fill_(float.NaN);
        }

        var report = monitor.Collect()!;

        var nonFinite = Assert.Single(report.Parameters, parameter => parameter.NonFiniteCount > 0);
        Assert.Equal(("2", "weight", 1L), (nonFinite.Layer, nonFinite.Parameter, nonFinite.NonFiniteCount));
        Assert.All(report.Parameters.Where(parameter => parameter != nonFinite), parameter => Assert.True(double.IsFinite(parameter.Norm)));
    }

    /// <remarks>
    /// Twelve 24×24 layers copied and measured as one batch, two 256×256 layers sampled in runs of 16 neighbours through
    /// views kept between collections, and a 24→256 and a 256→24 layer alone. At every step the copy the call after a
    /// collection takes of the stepped weights is also that collection's copy; every third step each collection copies
    /// afresh. Both must give, bit for bit, the float32 norms of each layer's own sampled elements.
    /// </remarks>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Batched_update_norms_are_those_of_each_layer_bit_for_bit(int collectEvery)
    {
        torch.manual_seed(5);
        using var model = nn.Sequential(Enumerable.Range(0, 12)
            .SelectMany(layer => new[] { ($"{2 * layer}", (nn.Module<Tensor, Tensor>)nn.Linear(24, 24)), ($"{2 * layer + 1}", nn.Tanh()) })
            .Concat(new[] { ("up", (nn.Module<Tensor, Tensor>)nn.Linear(24, 256)), ("wide1", nn.Linear(256, 256)), ("wide2", nn.Linear(256, 256)), ("down", nn.Linear(256, 24)) })
            .ToArray());
        using var input = torch.randn(8, 24);
        using var optimizer = torch.optim.SGD(model.parameters(), 0.05, momentum: 0.9);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = collectEvery });
        var weights = model.named_parameters().Where(entry => entry.name.EndsWith(".weight")).ToDictionary(entry => entry.name[..^".weight".Length], entry => entry.parameter);
        Dictionary<string, Tensor>? atCollection = null;
        Dictionary<string, (Tensor Before, Tensor After)>? stepAfterCollection = null;
        var copies = new List<Tensor>();
        Tensor Copy(string layer)
        {
            copies.Add(UpdateSample.Of(weights[layer]).DetachFromDisposeScope());
            return copies[^1];
        }

        int measured = 0;

        for (int step = 0; step < 4 * collectEvery + 1; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var output = model.call(input);
            nn.functional.mse_loss(output, torch.ones_like(output)).backward();
            if (atCollection is not null)
            {
                // The call after a collection: the optimizer has taken the step the next report measures.
                stepAfterCollection = atCollection.ToDictionary(entry => entry.Key, entry => (entry.Value, Copy(entry.Key)));
                atCollection = null;
            }

            var report = monitor.Collect();
            if (report is not null)
            {
                if (stepAfterCollection is not null)
                {
                    var ratios = report.UpdateRatios.ToDictionary(ratio => ratio.Layer);
                    Assert.Equal(weights.Count, ratios.Count);
                    foreach (var (layer, (before, after)) in stepAfterCollection)
                    {
                        using var update = before - after;
                        Assert.Equal((double)update.norm().item<float>(), ratios[layer].UpdateNorm);
                        Assert.Equal((double)before.norm().item<float>(), ratios[layer].WeightNorm);
                    }

                    measured++;
                }

                atCollection = weights.Keys.ToDictionary(layer => layer, Copy);
            }

            optimizer.step();
        }

        copies.ForEach(copy => copy.Dispose());
        Assert.Equal(4, measured);
    }

    [Fact]
    public void Statistics_of_float32_alone_reach_the_host_as_they_do_beside_other_dtypes()
    {
        torch.manual_seed(9);
        using var scalar = torch.randn(1).squeeze();
        using var segment = torch.randn(300) * 1e30;
        using var tiny = torch.tensor(new[] { 1.5e-45f, -3.4e38f, float.NaN, float.NegativeInfinity });
        using var count = torch.tensor(123456789L);

        var alone = HostValues(statistics => new[] { statistics.Add(scalar.clone()), statistics.Add(segment.clone()), statistics.Add(tiny.clone()) });
        var mixed = HostValues(statistics => new[] { statistics.Add(scalar.clone()), statistics.Add(count.clone()), statistics.Add(segment.clone()), statistics.Add(tiny.clone()) });

        Assert.Equal(alone[0], mixed[0]);
        Assert.Equal(alone[1], mixed[2]);
        Assert.Equal(alone[2], mixed[3]);
        Assert.Equal(new[] { 123456789.0 }, mixed[1]);
        Assert.Equal(segment.data<float>().Select(value => (double)value), alone[1]);
        Assert.Equal(new[] { (double)1.5e-45f, (double)-3.4e38f, double.NaN, double.NegativeInfinity }, alone[2]);
    }

    /// <summary>Each entry's values on the host, after queueing what <paramref name="queue"/> queues.</summary>
    private static double[][] HostValues(Func<DeviceStatistics, int[]> queue)
    {
        using var statistics = new DeviceStatistics();
        var entries = queue(statistics);
        var values = statistics.CopyToHost();
        return entries.Select(entry => values.Segment(entry).ToArray()).ToArray();
    }

    private static (nn.Module<Tensor, Tensor> Model, Tensor Input) Build(string name)
    {
        torch.manual_seed(21);
        return name switch
        {
            "deep-mlp" => (Stack(layers: 10, width: 16), torch.randn(12, 16)),
            "convnet" => (nn.Sequential(
                ("conv0", nn.Conv2d(3, 8, 3, padding: 1)), ("norm0", nn.BatchNorm2d(8)), ("relu0", nn.ReLU()),
                ("conv1", nn.Conv2d(8, 8, 3, padding: 1)), ("norm1", nn.BatchNorm2d(8)), ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(8, 8, 3, padding: 1)), ("relu2", nn.ReLU()),
                ("flatten", nn.Flatten()), ("head", nn.Linear(8 * 6 * 6, 4))), torch.randn(5, 3, 6, 6)),
            "declared-backwards" => (new DeclaredBackwards(), Reference.Input(8)),
            "residual-blocks" => (new ResidualBlocks(), Reference.Input(8)),
            "through-forward" => (new ThroughForward(), Reference.Input(8)),
            "functional" => (new FunctionalActivations(), Reference.Input(8)),
            "frozen-and-shared" => (FrozenAndShared(), torch.randn(7, 16)),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    /// <summary><paramref name="layers"/> × (Linear width→width + ReLU): gradients of two shapes, many of each.</summary>
    private static nn.Module<Tensor, Tensor> Stack(int layers, int width) =>
        nn.Sequential(Enumerable.Range(0, layers)
            .SelectMany(layer => new[] { ($"{2 * layer}", (nn.Module<Tensor, Tensor>)nn.Linear(width, width)), ($"{2 * layer + 1}", nn.ReLU()) })
            .ToArray());

    /// <summary>A frozen layer, one layer called twice, and a layer too large to batch beside small ones of its shape's kind.</summary>
    private static nn.Module<Tensor, Tensor> FrozenAndShared()
    {
        var frozen = nn.Linear(16, 16);
        frozen.weight!.requires_grad = false;
        var shared = nn.Linear(16, 16);
        return nn.Sequential(("frozen", frozen), ("shared", shared), ("act", nn.Tanh()), ("again", shared), ("wide", nn.Linear(16, 1024)), ("relu", nn.ReLU()), ("head", nn.Linear(1024, 16)));
    }
}
