using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// How close the sampled update ratio of a layer of more than 4096 elements (about 256 runs of 16 neighbouring
/// elements, or a third of a smaller one) comes to the exact ‖Δw‖/‖w‖ over every element, on layers in the shapes
/// people train, over twenty steps of SGD with momentum and of Adam: an MLP on 784 inputs and a narrow one (128 × 128
/// layers), each with half the units of its first layer dead (their rows of the weight never move), and a small
/// ConvNet. The bound is the one docs/monitor.md states; the errors measured are written to the test output.
/// </summary>
public class UpdateRatioSampleTests
{
    /// <summary>The most a sampled ratio differs from the exact one, relative to it: the bound docs/monitor.md states.</summary>
    private const double Bound = 0.15;

    private readonly ITestOutputHelper output;

    public UpdateRatioSampleTests(ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("mlp-half-dead", "sgd")]
    [InlineData("mlp-half-dead", "adam")]
    [InlineData("narrow-half-dead", "sgd")]
    [InlineData("narrow-half-dead", "adam")]
    [InlineData("convnet", "sgd")]
    [InlineData("convnet", "adam")]
    public void A_sampled_ratio_is_within_the_bound_of_the_exact_one(string modelName, string optimizerName)
    {
        torch.manual_seed(21);
        var (model, input, labels) = Build(modelName);
        using (model)
        using (input)
        using (labels)
        {
            using var optimizer = optimizerName == "sgd" ? torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9) : (optim.Optimizer)torch.optim.Adam(model.parameters(), 1e-3);
            using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 });
            var weights = model.named_parameters().Where(entry => entry.name.EndsWith(".weight") && entry.parameter.dim() > 1)
                .ToDictionary(entry => entry.name[..^".weight".Length], entry => entry.parameter);
            Dictionary<string, Tensor>? before = null;
            var errors = weights.Keys.ToDictionary(layer => layer, _ => new List<double>());

            for (int step = 0; step < 21; step++)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(input), labels).backward();
                var report = monitor.Collect()!;
                if (before is not null)
                {
                    foreach (var ratio in report.UpdateRatios)
                    {
                        using var update = weights[ratio.Layer].detach() - before[ratio.Layer];
                        double exact = update.norm().item<float>() / (double)before[ratio.Layer].norm().item<float>();
                        errors[ratio.Layer].Add(Math.Abs(ratio.Ratio / exact - 1));
                    }

                    before.Values.ToList().ForEach(copy => copy.Dispose());
                }

                before = weights.ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone().DetachFromDisposeScope());
                optimizer.step();
            }

            before!.Values.ToList().ForEach(copy => copy.Dispose());
            foreach (var (layer, layerErrors) in errors)
            {
                output.WriteLine($"{modelName} {optimizerName} {layer} ({weights[layer].numel()} elements): largest error {layerErrors.Max():P2}, mean {layerErrors.Average():P2}");
            }

            Assert.All(errors.Values, layerErrors => Assert.Equal(20, layerErrors.Count));
            Assert.All(errors, entry => Assert.True(entry.Value.Max() <= Bound, $"{entry.Key}: {entry.Value.Max():P2}"));
        }
    }

    private static (nn.Module<Tensor, Tensor> Model, Tensor Input, Tensor Labels) Build(string name)
    {
        if (name == "convnet")
        {
            var convnet = nn.Sequential(
                ("conv1", nn.Conv2d(3, 32, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(32, 64, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()), ("fc1", nn.Linear(64 * 8 * 8, 256)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(256, 10)));
            return (convnet, torch.randn(32, 3, 32, 32), torch.randint(10, 32));
        }

        var (inputs, width) = name == "narrow-half-dead" ? (128, 128) : (784, 512);
        var mlp = nn.Sequential(
            ("fc1", nn.Linear(inputs, width)), ("relu1", nn.ReLU()), ("fc2", nn.Linear(width, width)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(width, 10)));
        foreach (var (_, parameter) in mlp.named_parameters().Where(entry => entry.name.EndsWith("weight")))
        {
            nn.init.kaiming_normal_(parameter, nonlinearity: nn.init.NonlinearityType.ReLU);
        }

        // Half of fc1's units below zero for every input: their rows of fc1's weight get no gradient and never move.
        using (torch.no_grad())
        {
            var bias = mlp.named_parameters().Single(entry => entry.name == "fc1.bias").parameter;
            bias.narrow(0, 0, width / 2).fill_(-1e3);
        }

        return (mlp, torch.randn(64, inputs), torch.randint(10, 64));
    }
}
