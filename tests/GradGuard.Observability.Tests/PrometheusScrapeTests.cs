using System.Text.Json;

namespace GradGuard.Observability.Tests;

/// <summary>The sample's metrics as a real Prometheus scraped them, against what the monitor computed.</summary>
public sealed class PrometheusScrapeTests(PrometheusScrapeFixture run) : IClassFixture<PrometheusScrapeFixture>
{
    private const double RelativeTolerance = 1e-12;

    [Fact]
    public void Per_layer_gradient_norms_are_scraped_with_their_layer_and_the_norm_the_monitor_computed()
    {
        var scraped = run.LastScraped("gradguard_gradient_norm");

        Assert.Equal(4, run.Computed.Configs.Count);
        foreach (var configuration in run.Computed.Configs)
        {
            var series = Series(scraped, configuration.Name);
            Assert.Equal(configuration.Final.Parameters.Count, series.Count);
            foreach (var parameter in configuration.Final.Parameters)
            {
                var sample = Assert.Single(series, sample => PrometheusServer.Label(sample, "gradguard_layer") == parameter.Layer
                    && PrometheusServer.Label(sample, "gradguard_parameter") == parameter.Parameter);
                Assert.Equal($"{parameter.LayerIndex}", PrometheusServer.Label(sample, "gradguard_layer_index"));
                AssertClose(parameter.Norm, PrometheusServer.Value(sample), $"{configuration.Name} {parameter.Layer}.{parameter.Parameter}");
            }
        }
    }

    [Fact]
    public void Dead_neuron_series_are_scraped_per_layer_with_the_fraction_and_count_the_monitor_computed()
    {
        var fractions = run.LastScraped("gradguard_activation_dead");
        var counts = run.LastScraped("gradguard_activation_dead_units");

        foreach (var configuration in run.Computed.Configs)
        {
            var rectifiers = configuration.Final.Activations.Where(activation => activation.Kind == GradGuard.TorchSharp.ActivationKind.Rectifier).ToList();
            Assert.Equal(rectifiers.Count, Series(fractions, configuration.Name).Count);
            foreach (var activation in rectifiers)
            {
                var fraction = Assert.Single(Series(fractions, configuration.Name), sample => PrometheusServer.Label(sample, "gradguard_layer") == activation.Layer);
                var count = Assert.Single(Series(counts, configuration.Name), sample => PrometheusServer.Label(sample, "gradguard_layer") == activation.Layer);
                AssertClose(activation.DeadFraction!.Value, PrometheusServer.Value(fraction), $"{configuration.Name} {activation.Layer} dead fraction");
                Assert.Equal(activation.DeadUnits, (long)PrometheusServer.Value(count));
            }
        }

        // Default-initialised deep ReLU loses units, so the comparison above covered values other than zero.
        Assert.Contains(Series(fractions, "relu-default-50"), sample => PrometheusServer.Value(sample) > 0.1);
        Assert.Empty(Series(fractions, "sigmoid-default-50"));
    }

    [Fact]
    public void The_first_to_last_ratio_is_scraped_per_model_as_the_monitor_computed_it()
    {
        var scraped = run.LastScraped("gradguard_gradient_first_to_last");

        foreach (var configuration in run.Computed.Configs)
        {
            AssertClose(configuration.Final.FirstToLastRatio, PrometheusServer.Value(Assert.Single(Series(scraped, configuration.Name))), configuration.Name);
        }
    }

    [Fact]
    public void Update_ratios_and_the_loss_are_scraped_as_the_monitor_computed_them()
    {
        var ratios = run.LastScraped("gradguard_update_ratio");
        var losses = run.LastScraped("gradguard_loss");

        foreach (var configuration in run.Computed.Configs)
        {
            var series = Series(ratios, configuration.Name);
            Assert.NotEmpty(configuration.Final.UpdateRatios);
            Assert.Equal(configuration.Final.UpdateRatios.Count, series.Count);
            foreach (var ratio in configuration.Final.UpdateRatios)
            {
                var sample = Assert.Single(series, sample => PrometheusServer.Label(sample, "gradguard_layer") == ratio.Layer);
                Assert.Equal($"{ratio.LayerIndex}", PrometheusServer.Label(sample, "gradguard_layer_index"));
                AssertClose(ratio.Ratio, PrometheusServer.Value(sample), $"{configuration.Name} {ratio.Layer} update ratio");
            }

            AssertClose(configuration.Final.Loss!.Value, PrometheusServer.Value(Assert.Single(Series(losses, configuration.Name))), $"{configuration.Name} loss");
        }
    }

    [Fact]
    public void Every_dashboard_query_returns_series_the_sample_emitted_and_every_variable_lists_its_choices()
    {
        var dashboard = Dashboard.Load();
        var names = run.Prometheus.Api("api/v1/label/__name__/values").EnumerateArray().Select(name => name.GetString()).ToHashSet();

        Assert.NotEmpty(dashboard.Queries);
        foreach (var (panel, expression) in dashboard.Queries)
        {
            Assert.All(Dashboard.MetricNames(expression), name => Assert.True(names.Contains(name), $"Panel '{panel}' reads {name}, which the sample never exported."));
            var series = run.Prometheus.QueryRange(Dashboard.WithAllSelected(expression), run.Start, run.End);
            Assert.True(series.Count > 0, $"Panel '{panel}' query {expression} returned no series over the run.");
        }

        var expected = new Dictionary<string, IEnumerable<string>>
        {
            ["job"] = new[] { PrometheusServer.Job },
            ["run"] = new[] { PrometheusScrapeFixture.RunId },
            ["instance"] = new[] { run.Instance },
            ["model"] = run.Computed.Configs.Select(configuration => configuration.Name),
        };
        foreach (var (name, selector, label) in dashboard.VariableSources)
        {
            var values = run.Prometheus.Api($"api/v1/label/{label}/values?match[]={Uri.EscapeDataString(Dashboard.WithAllSelected(selector))}").EnumerateArray().Select(value => value.GetString());
            Assert.Equal(expected[name].Order(), values.Order());
        }
    }

    [Fact]
    public void The_alert_rules_load_and_the_vanishing_alert_fires_where_the_monitor_s_own_conditions_hold()
    {
        var rules = run.Prometheus.Api("api/v1/rules").GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray()).ToList();
        Assert.Equal(7, rules.Count);
        Assert.All(rules, rule => Assert.True(rule.GetProperty("health").GetString() == "ok", $"Rule {rule.GetProperty("name")} is unhealthy: {rule}"));

        var firing = run.Prometheus.Query("max_over_time(ALERTS{alertname=\"GradGuardVanishingGradients\", alertstate=\"firing\"}[10m])")
            .Select(sample => PrometheusServer.Label(sample, "gradguard_model")).Order().ToList();
        // GradientMonitorOptions' defaults, applied to what the monitor computed last, independently of the rule file.
        var expected = run.Computed.Configs.Where(configuration => Vanishing(configuration.Final.Parameters)).Select(configuration => configuration.Name).Order().ToList();
        Assert.Contains("sigmoid-default-50", firing);
        Assert.DoesNotContain("relu-he-50", firing);
        Assert.Equal(expected, firing);

        var diagnosed = run.Prometheus.Query("max_over_time(ALERTS{alertname=\"GradGuardDiagnosis\"}[10m])");
        Assert.Contains(diagnosed, sample => PrometheusServer.Label(sample, "gradguard_model") == "sigmoid-default-50"
            && PrometheusServer.Label(sample, "gradguard_problem") == "vanishing_gradients");
    }

    /// <summary>The monitor's vanishing condition: first/last &lt; 1e-3 with a first-layer norm &lt; 1e-4, or a 10x shrink across one layer.</summary>
    private static bool Vanishing(IReadOnlyList<GradGuard.TorchSharp.ParameterGradient> parameters)
    {
        var norms = parameters.Where(parameter => parameter.IsWeightMatrix).Select(parameter => parameter.Norm).ToList();
        bool ratio = norms[0] / norms[^1] < 1e-3 && norms[0] < 1e-4;
        bool oneLayer = norms.Zip(norms.Skip(1), (earlier, later) => later / earlier).Any(decay => decay >= 10);
        return ratio || oneLayer;
    }

    private static List<JsonElement> Series(IEnumerable<JsonElement> samples, string model) =>
        samples.Where(sample => PrometheusServer.Label(sample, "gradguard_model") == model).ToList();

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= RelativeTolerance * Math.Abs(expected), $"{what}: the monitor computed {expected:R}, Prometheus holds {actual:R}.");
}
