using System.Xml.Linq;
using GradGuard.Tests.Shared;
using GradientFlow;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>Diagnoses name the compile-time rule whose cause the model's structure shows, with the analyzers' help link, and only then.</summary>
public class RuleCitationTests
{
    private static readonly string Repository = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("RepositoryUrl").Single().Value;

    [Theory]
    [InlineData("sigmoid", "default", "GG0001")]
    [InlineData("relu", "default", "GG0002")]
    public void Vanishing_in_the_literature_s_networks_cites_the_rule_for_its_cause(string activation, string init, string rule)
    {
        torch.manual_seed(1);
        using var model = new NetworkConfiguration(activation, init, false, 50).Build(32);

        var vanishing = Diagnosed(model, GradientProblem.VanishingGradients, new GradientMonitorOptions(), 16, 32);
        Assert.Equal(rule, vanishing.Rule);
        Assert.Equal($"{Repository}/blob/main/docs/rules/{rule}.md", vanishing.RuleHelpLink);
        Assert.Contains($"({rule}, found at compile time: {vanishing.RuleHelpLink})", vanishing.Message);
    }

    [Fact]
    public void The_saturating_run_and_the_default_init_scale_are_named_in_the_citation()
    {
        torch.manual_seed(1);
        using var sigmoid = new NetworkConfiguration("sigmoid", "default", false, 16).Build(32);
        using var relu = new NetworkConfiguration("relu", "default", false, 50).Build(32);
        using var sigmoidMonitor = GradientMonitor.Attach(sigmoid);
        using var reluMonitor = GradientMonitor.Attach(relu);
        using var input = torch.randn(16, 32);

        string sigmoidMessage = TestModels.Step(sigmoid, sigmoidMonitor, input).Diagnoses.Single().Message;
        string reluMessage = TestModels.Step(relu, reluMonitor, input).Diagnoses.First(diagnosis => diagnosis.Rule == "GG0002").Message;

        Assert.Contains("15 saturating activations in a row ('0.activation' to '14.activation')", sigmoidMessage);
        // kaiming_uniform_(a = √5) draws from ±1/√fan_in: variance 1/(3·fan_in), so var(w)·fan_in ≈ 0.33.
        Assert.Contains("49 ReLU sites are fed by layers initialised at var(w)·fan_in = 0.3", reluMessage);
    }

    [Fact]
    public void Vanishing_in_a_deep_plain_stack_with_neither_cause_above_cites_GG0003()
    {
        // ReLU layers at var(w)·fan_in = 1.2: enough not to be TorchSharp's default, too little for ReLU (He's 2), so
        // the signal shrinks by √0.6 a layer over 24 layers without normalisation.
        torch.manual_seed(1);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int index = 0; index < 24; index++)
        {
            var linear = nn.Linear(32, 32);
            using (torch.no_grad())
            {
                nn.init.normal_(linear.weight!, std: Math.Sqrt(1.2 / 32));
            }

            layers.Add(($"fc{index}", linear));
            layers.Add(($"relu{index}", nn.ReLU()));
        }

        using var model = nn.Sequential(layers);

        var vanishing = Diagnosed(model, GradientProblem.VanishingGradients, new GradientMonitorOptions { VanishingRatio = 0.1, VanishingFirstLayerNorm = 1e6 }, 16, 32);

        Assert.Equal("GG0003", vanishing.Rule);
        Assert.Contains("The pass runs 24 weight layers with no normalisation layer", vanishing.Message);
    }

    [Fact]
    public void Vanishing_whose_layers_ran_through_forward_cites_GG0006()
    {
        torch.manual_seed(1);
        using var model = new ForwardCalledSigmoidStack(12);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(16, 32);

        var report = TestModels.Step(model, monitor, input);

        // No hook fired, so no saturating site was seen: the structure shows only that the order was inferred.
        Assert.True(report.OrderInferred);
        Assert.Equal("GG0006", Assert.Single(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.VanishingGradients).Rule);
    }

    [Fact]
    public void A_network_that_learns_cites_nothing()
    {
        torch.manual_seed(1);
        using var model = new NetworkConfiguration("relu", "he", false, 50).Build(32);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(16, 32);

        Assert.All(TestModels.Step(model, monitor, input).Diagnoses, diagnosis => Assert.Null(diagnosis.Rule));
    }

    [Fact]
    public void A_saturating_run_interrupted_by_normalisation_is_not_cited()
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int index = 0; index < 6; index++)
        {
            layers.Add(($"fc{index}", nn.Linear(8, 8)));
            layers.Add(($"norm{index}", nn.LayerNorm(8)));
            layers.Add(($"act{index}", nn.Sigmoid()));
        }

        torch.manual_seed(1);
        using var model = nn.Sequential(layers);
        // Thresholds that make this shallow network vanish, so that only the citation is in question.
        var vanishing = Diagnosed(model, GradientProblem.VanishingGradients, new GradientMonitorOptions { VanishingRatio = 1e6, VanishingFirstLayerNorm = 1e6 }, 4, 8);

        Assert.Null(vanishing.Rule);
    }

    [Fact]
    public void Exploding_gradients_in_a_recurrent_model_cite_GG0004_unless_the_step_clipped()
    {
        torch.manual_seed(1);
        using var model = new RecurrentRegressor();
        // A threshold any gradient crosses, and a clipping norm no gradient reaches: only the clipping call differs.
        var options = new GradientMonitorOptions { ExplodingTotalNorm = 1e-9 };
        using var input = torch.randn(4, 5, 3);

        GradientDiagnosis Exploding(bool clip)
        {
            using var monitor = GradientMonitor.Attach(model, options);
            return Assert.Single(Backward(model, monitor, input, clip).Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.ExplodingGradients);
        }

        Assert.Equal("GG0004", Exploding(clip: false).Rule);
        Assert.Null(Exploding(clip: true).Rule);
    }

    [Fact]
    public void Exploding_gradients_after_an_explosive_explicit_init_cite_GG0005()
    {
        torch.manual_seed(1);
        using var model = nn.Sequential(("fc1", nn.Linear(16, 16)), ("relu", nn.ReLU()), ("fc2", nn.Linear(16, 1)));
        using (torch.no_grad())
        {
            nn.init.normal_(((Linear)model[0]).weight!, std: 3.0);
        }

        var exploding = Diagnosed(model, GradientProblem.ExplodingGradients, new GradientMonitorOptions { ExplodingTotalNorm = 1e-9 }, 4, 16);

        // var(w)·fan_in = 9 · 16 = 144, far above He's 2.
        Assert.Equal("GG0005", exploding.Rule);
        Assert.Contains("the first 'fc1', were initialised at var(w)·fan_in = 1.4E+02", exploding.Message);
    }

    [Fact]
    public void The_diagnoses_counter_carries_the_rule()
    {
        var exported = new List<Metric>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        torch.manual_seed(1);
        using var model = new NetworkConfiguration("sigmoid", "default", false, 16).Build(32);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "cited-sigmoid" });
        using var input = torch.randn(16, 32);

        TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        var tags = exported.Where(metric => metric.Name == GradGuardMetrics.DiagnosesInstrument)
            .SelectMany(metric => MetricPoints(metric))
            .Where(point => Equals(point[GradGuardMetrics.ModelAttribute], "cited-sigmoid"));
        var cited = Assert.Single(tags);
        Assert.Equal("GG0001", cited[GradGuardMetrics.RuleAttribute]);
    }

    /// <summary>The one diagnosis of <paramref name="kind"/> after a step on a random batch of <paramref name="inputShape"/>.</summary>
    private static GradientDiagnosis Diagnosed(nn.Module<Tensor, Tensor> model, GradientProblem kind, GradientMonitorOptions options, params long[] inputShape)
    {
        using var monitor = GradientMonitor.Attach(model, options);
        using var input = torch.randn(inputShape);
        return Assert.Single(TestModels.Step(model, monitor, input).Diagnoses, diagnosis => diagnosis.Kind == kind);
    }

    private static IEnumerable<Dictionary<string, object?>> MetricPoints(Metric metric)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }

            yield return tags;
        }
    }

    private static GradientReport Backward(RecurrentRegressor model, GradientMonitor monitor, Tensor input, bool clip)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        model.call(input).sum().backward();
        if (clip)
        {
            monitor.ClipGradients(1e6);
        }

        return monitor.Collect() ?? throw new InvalidOperationException("The step was not collected.");
    }

    /// <summary>Linear + sigmoid layers that forward() calls through forward(), as TorchSharpExamples' models do: no hook fires.</summary>
    private sealed class ForwardCalledSigmoidStack : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<Linear> layers = new();
        private readonly Sigmoid sigmoid = nn.Sigmoid();

        public ForwardCalledSigmoidStack(int depth) : base(nameof(ForwardCalledSigmoidStack))
        {
            for (int index = 0; index < depth; index++)
            {
                layers.Add(nn.Linear(32, 32));
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var output = input;
            foreach (var layer in layers)
            {
                output = sigmoid.forward(layer.forward(output));
            }

            return output;
        }
    }
}
