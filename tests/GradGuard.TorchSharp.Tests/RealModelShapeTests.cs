using System.Text.Json;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// The monitor on the shapes real TorchSharp models have, against PyTorch's figures for the same weights
/// (Reference/pytorch-reference.json, made once by Reference/pytorch_reference.py): forward order, one site per call,
/// functional activations, residual blocks, layers never called, and children called through forward().
/// </summary>
public class RealModelShapeTests
{
    /// <summary>float32 gradients summed in another order by another library: agreement to a few ulps of the norm.</summary>
    private const double RelativeTolerance = 1e-5;

    private static readonly Lazy<JsonElement> PyTorch = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "pytorch-reference.json"))).RootElement.GetProperty("models"));

    [Fact]
    public void Fields_declared_output_first_are_reported_in_forward_order_with_one_site_per_call_of_a_reused_ReLU()
    {
        using var model = new DeclaredBackwards();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(new[] { "stem", "mid1", "mid2", "head" }, report.WeightGradients.Select(weight => weight.Layer));
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2, 3, 3 }, report.Parameters.Select(parameter => parameter.LayerIndex));
        Assert.False(report.OrderInferred);
        AssertNormsMatchPyTorch(report, nameof(DeclaredBackwards));
        var reference = PyTorch.Value.GetProperty(nameof(DeclaredBackwards)).GetProperty("parameters");
        Assert.Equal(reference.GetProperty("stem.weight").GetDouble() / reference.GetProperty("head.weight").GetDouble(), report.FirstToLastRatio, 1e-4);

        Assert.Equal(new[] { ("act", "act", 1, "stem"), ("act#2", "act", 2, "mid1"), ("act#3", "act", 3, "mid2") },
            report.Activations.Select(site => (site.Layer, site.Module, site.Call, site.WeightLayer ?? "")));
        AssertSitesMatchPyTorch(report, nameof(DeclaredBackwards));
        var dying = Assert.Single(report.Diagnoses);
        Assert.Equal((GradientProblem.DyingRelu, "act#2", 0.75), (dying.Kind, dying.Layer, dying.Value));
    }

    [Fact]
    public void A_layer_registered_last_but_called_first_leads_and_a_reused_Tanh_is_judged_per_call()
    {
        using var model = new CalledFirst();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(6);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(new[] { "embed", "lin1", "lin2" }, report.WeightGradients.Select(weight => weight.Layer));
        AssertNormsMatchPyTorch(report, nameof(CalledFirst));
        // embed feeds lin1 directly: no activation between them, so its units are judged by their gradient.
        Assert.Equal(new[] { ("embed", ActivationKind.NotSeen), ("squash", ActivationKind.Saturating), ("squash#2", ActivationKind.Saturating) },
            report.Activations.Select(site => (site.Layer, site.Kind)));
        AssertSitesMatchPyTorch(report, nameof(CalledFirst));
        // The saturated first call starves lin1 of gradient: PyTorch's norms shrink more than 10x from lin2 to lin1.
        var norms = PyTorch.Value.GetProperty(nameof(CalledFirst)).GetProperty("parameters");
        Assert.True(norms.GetProperty("lin2.weight").GetDouble() / norms.GetProperty("lin1.weight").GetDouble() >= 10);
        Assert.Equal(new[] { (GradientProblem.VanishingGradients, "lin1"), (GradientProblem.SaturatedActivations, "squash") },
            report.Diagnoses.Select(diagnosis => (diagnosis.Kind, diagnosis.Layer ?? "")));
        Assert.Equal(0.75, report.Diagnoses[1].Value);
    }

    [Fact]
    public void Functional_tanh_sigmoid_and_relu_are_recognised_measured_and_never_called_dying_ReLU_when_they_saturate()
    {
        using var model = new FunctionalActivations();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        AssertNormsMatchPyTorch(report, nameof(FunctionalActivations));
        Assert.Equal(new[] { ("fc1", ActivationKind.Saturating), ("fc2", ActivationKind.Saturating), ("fc3", ActivationKind.Rectifier) },
            report.Activations.Select(site => (site.Layer, site.Kind)));
        Assert.All(report.Activations, site => Assert.Equal(ActivationSource.FunctionalCall, site.Source));
        AssertSitesMatchPyTorch(report, nameof(FunctionalActivations));
        // Saturated tanh units pass back no gradient, so fc1's gradient is also far smaller than fc2's: PyTorch's norms show it.
        var norms = PyTorch.Value.GetProperty(nameof(FunctionalActivations)).GetProperty("parameters");
        Assert.True(norms.GetProperty("fc2.weight").GetDouble() / norms.GetProperty("fc1.weight").GetDouble() >= 10);
        Assert.Equal(new[] { (GradientProblem.VanishingGradients, "fc1"), (GradientProblem.SaturatedActivations, "fc1"), (GradientProblem.DyingRelu, "fc3") },
            report.Diagnoses.Select(diagnosis => (diagnosis.Kind, diagnosis.Layer ?? "")));
    }

    [Fact]
    public void Units_without_gradient_behind_an_unrecognised_activation_are_explained_by_their_pre_activation()
    {
        using var model = new ScaledTanh();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        AssertNormsMatchPyTorch(report, nameof(ScaledTanh));
        var site = Assert.Single(report.Activations);
        Assert.Equal(("fc1", ActivationKind.NotSeen, ActivationSource.WeightGradient), (site.Layer, site.Kind, site.Source));
        AssertSitesMatchPyTorch(report, nameof(ScaledTanh));
        var diagnosis = Assert.Single(report.Diagnoses, diagnosis => diagnosis.Kind == GradientProblem.UnitsWithoutGradient);
        Assert.Contains("13 of 16 units of 'fc1' got exactly zero gradient", diagnosis.Message);
        Assert.Contains("7 had |pre-activation| ≥ 5 throughout", diagnosis.Message);
        Assert.Contains("6 had a pre-activation ≤ -5 throughout", diagnosis.Message);
        Assert.DoesNotContain(report.Diagnoses, diagnosis => diagnosis.Message.Contains("ReLU", StringComparison.Ordinal));
    }

    [Fact]
    public void Residual_blocks_report_their_module_and_functional_sites_in_forward_order()
    {
        using var model = new ResidualBlocks();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(new[] { "stem", "blocks.0.lin1", "blocks.0.lin2", "blocks.1.lin1", "blocks.1.lin2", "blocks.2.lin1", "blocks.2.lin2", "head" },
            report.WeightGradients.Select(weight => weight.Layer));
        AssertNormsMatchPyTorch(report, nameof(ResidualBlocks));
        Assert.Equal(new[] { "stem", "blocks.0.act", "blocks.0", "blocks.1.act", "blocks.1", "blocks.2.act", "blocks.2" }, report.Activations.Select(site => site.Layer));
        Assert.Equal(new[] { ActivationSource.WeightGradient, ActivationSource.ForwardHook, ActivationSource.FunctionalCall }, report.Activations.Take(3).Select(site => site.Source));
        AssertSitesMatchPyTorch(report, nameof(ResidualBlocks));
        var dying = Assert.Single(report.Diagnoses);
        Assert.Equal((GradientProblem.DyingRelu, "blocks.1.act"), (dying.Kind, dying.Layer));
    }

    [Fact]
    public void A_layer_the_model_never_calls_is_listed_unused_and_left_out_of_first_and_last()
    {
        using var model = new NeverCallsALayer();
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, logger: logger);
        using var input = Reference.Input(8);

        var reports = Enumerable.Range(0, 2).Select(_ => TestModels.Step(model, monitor, input)).ToList();

        var report = reports[^1];
        Assert.Equal(new[] { "aux" }, report.UnusedLayers);
        Assert.Equal(new[] { "aux.weight", "aux.bias" }, report.SkippedParameters);
        Assert.Equal(new[] { "stem", "head" }, report.WeightGradients.Select(weight => weight.Layer));
        Assert.False(report.OrderInferred);
        Assert.Empty(report.LayersNotSeen);
        Assert.Single(logger.Entries, entry => entry.EventId.Name == "UnusedLayers");
    }

    [Fact]
    public void Children_called_through_forward_are_named_once_placed_by_declaration_and_their_figures_marked_inferred()
    {
        using var model = new ThroughForward();
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, logger: logger);
        using var input = Reference.Input(8);

        var reports = Enumerable.Range(0, 2).Select(_ => TestModels.Step(model, monitor, input)).ToList();

        var report = reports[0];
        Assert.True(report.OrderInferred);
        Assert.Equal(new[] { "fc1", "fc2", "fc3" }, report.LayersNotSeen);
        Assert.Equal(new[] { "fc1", "fc2", "fc3" }, report.WeightGradients.Select(weight => weight.Layer));
        Assert.All(report.Parameters, parameter => Assert.Equal(LayerPlacement.Inferred, parameter.Placement));
        AssertNormsMatchPyTorch(report, nameof(ThroughForward));

        // No hook fired, so nothing says "ReLU": the zero rows of the weight gradients are all there is to report.
        Assert.Equal(new[] { ("fc1", 12L), ("fc2", 1L) }, report.Activations.Select(site => (site.Layer, site.UnitsWithoutGradient!.Value)));
        Assert.All(report.Activations, site => Assert.Null(site.DeadUnits));
        var diagnosis = Assert.Single(report.Diagnoses);
        Assert.Equal((GradientProblem.UnitsWithoutGradient, "fc1"), (diagnosis.Kind, diagnosis.Layer));
        Assert.Contains("hooks never fired", diagnosis.Message);

        var notSeen = Assert.Single(logger.Entries, entry => entry.EventId.Name == "LayersNotSeen");
        Assert.Equal("fc1, fc2, fc3", notSeen.State["Layers"]);
        Assert.Equal(RuleCitations.HelpLink("GG0006"), notSeen.State["HelpLink"]);
        Assert.Contains("GG0006", notSeen.Message);
    }

    [Fact]
    public void A_block_seen_through_call_whose_children_run_through_forward_places_them_inside_it()
    {
        using var model = new HalfSeen();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(new[] { "stem", "block.lin1", "block.lin2", "head" }, report.WeightGradients.Select(weight => weight.Layer));
        Assert.Equal(new[] { LayerPlacement.ForwardPass, LayerPlacement.Inferred, LayerPlacement.Inferred, LayerPlacement.ForwardPass },
            report.WeightGradients.Select(weight => weight.Placement));
        Assert.True(report.OrderInferred);
        Assert.Equal(new[] { "block.lin1", "block.lin2" }, report.LayersNotSeen);
    }

    [Fact]
    public void A_path_that_changes_between_steps_is_reported_as_each_step_ran_it()
    {
        using var model = new Branching();
        using var monitor = GradientMonitor.Attach(model);
        using var input = Reference.Input(8);

        var left = TestModels.Step(model, monitor, input);
        // Zeroed in place, as optimizer.zero_grad() does: the left branch keeps a gradient of zeros.
        foreach (var parameter in model.parameters())
        {
            parameter.grad?.zero_();
        }

        model.TakeRight = true;
        var right = StepKeepingGradients(model, monitor, input);

        Assert.Equal(new[] { "stem", "left", "head" }, left.WeightGradients.Select(weight => weight.Layer));
        Assert.Equal(new[] { "right" }, left.UnusedLayers);
        Assert.Equal(new[] { "stem", "right", "head" }, right.WeightGradients.Select(weight => weight.Layer));
        Assert.Equal(new[] { "left" }, right.UnusedLayers);
        Assert.False(right.OrderInferred);
        Assert.Equal(right.WeightGradients.First().Norm / right.WeightGradients.Last().Norm, right.FirstToLastRatio);
    }

    [Fact]
    public void Passes_that_follow_the_learned_plan_measure_what_the_learning_pass_measured()
    {
        foreach (var model in new nn.Module<Tensor, Tensor>[] { new FunctionalActivations(), new ScaledTanh(), new ResidualBlocks(), new DeclaredBackwards() })
        {
            using (model)
            using (var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { CollectEvery = 1 }))
            using (var input = Reference.Input(8))
            {
                var learned = TestModels.Step(model, monitor, input);
                var planned = TestModels.Step(model, monitor, input);
                var followingTheKeptLayout = TestModels.Step(model, monitor, input);

                Assert.Equal(learned.Activations, planned.Activations);
                Assert.Equal(learned.Parameters, planned.Parameters);
                Assert.Equal(learned.Activations, followingTheKeptLayout.Activations);
                Assert.Equal(learned.Parameters, followingTheKeptLayout.Parameters);
            }
        }
    }

    [Theory]
    [InlineData(DyingMeasure.DeadUnits, "act#2", 0.75)]
    [InlineData(DyingMeasure.NonPositiveOutputs, "act#2", 0.8046875)]
    [InlineData(DyingMeasure.ZeroGradients, "act#2", 0.75)]
    public void The_dying_threshold_applies_to_the_measure_chosen(DyingMeasure measure, string site, double value)
    {
        using var model = new DeclaredBackwards();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { DyingMeasure = measure });
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);

        AssertSitesMatchPyTorch(report, nameof(DeclaredBackwards));
        var dying = report.Diagnoses.Where(diagnosis => diagnosis.Kind == GradientProblem.DyingRelu).ToList();
        Assert.Equal((site, value), (dying[0].Layer, dying[0].Value));
        if (measure == DyingMeasure.ZeroGradients)
        {
            // AUTOTRAINER's measure also calls act#3 dying: 84% of mid2's weight-gradient elements are zero, though 11 of its 16 units are alive.
            Assert.Equal(new[] { "act#2", "act#3" }, dying.Select(diagnosis => diagnosis.Layer));
        }
        else
        {
            Assert.Single(dying);
        }
    }

    private static GradientReport StepKeepingGradients(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var output = model.call(input);
        nn.functional.mse_loss(output, torch.zeros_like(output)).backward();
        return monitor.Collect()!;
    }

    private static void AssertNormsMatchPyTorch(GradientReport report, string model)
    {
        var expected = PyTorch.Value.GetProperty(model).GetProperty("parameters").EnumerateObject().ToDictionary(entry => entry.Name, entry => entry.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(), report.Parameters.Select(parameter => $"{parameter.Layer}.{parameter.Parameter}").Order());
        foreach (var parameter in report.Parameters)
        {
            double reference = expected[$"{parameter.Layer}.{parameter.Parameter}"];
            Assert.True(Math.Abs(parameter.Norm - reference) <= RelativeTolerance * reference,
                $"{model} {parameter.Layer}.{parameter.Parameter}: GradGuard {parameter.Norm:R}, PyTorch {reference:R}");
        }
    }

    private static void AssertSitesMatchPyTorch(GradientReport report, string model)
    {
        var expected = PyTorch.Value.GetProperty(model).GetProperty("sites");
        Assert.Equal(expected.EnumerateObject().Select(entry => entry.Name).Order(), report.Activations.Select(site => site.Layer).Order());
        foreach (var site in report.Activations)
        {
            var reference = expected.GetProperty(site.Layer);
            Assert.Equal(reference.GetProperty("kind").GetString(), site.Kind.ToString());
            Assert.Equal(reference.GetProperty("units").GetInt64(), site.Units);
            switch (site.Kind)
            {
                case ActivationKind.Rectifier:
                    Assert.Equal(reference.GetProperty("dead").GetInt64(), site.DeadUnits);
                    AssertOptional(reference, "nonPositiveFraction", site.NonPositiveFraction, site.Layer);
                    AssertOptional(reference, "zeroGradientFraction", site.ZeroGradientFraction, site.Layer);
                    break;
                case ActivationKind.Saturating:
                    Assert.Equal(reference.GetProperty("saturatedFraction").GetDouble(), site.SaturatedFraction!.Value, 12);
                    break;
                default:
                    Assert.Equal(reference.GetProperty("withoutGradient").GetInt64(), site.UnitsWithoutGradient);
                    Assert.Equal(reference.GetProperty("dead").GetInt64(), site.DeadUnits);
                    Assert.Equal(reference.GetProperty("saturatedUnits").GetInt64(), site.SaturatedUnits);
                    Assert.Equal(reference.GetProperty("deadAndSaturated").GetInt64(), site.UnitsDeadAndSaturated);
                    break;
            }
        }
    }

    /// <summary>A figure the monitor computes only when its measure is chosen must equal PyTorch's when it is there.</summary>
    private static void AssertOptional(JsonElement reference, string figure, double? value, string site)
    {
        if (value is { } measured)
        {
            Assert.True(Math.Abs(reference.GetProperty(figure).GetDouble() - measured) < 1e-12, $"{site} {figure}: GradGuard {measured:R}, PyTorch {reference.GetProperty(figure)}");
        }
    }
}
