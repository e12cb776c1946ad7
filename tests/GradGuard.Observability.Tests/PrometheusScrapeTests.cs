using System.Text.Json;
using GradGuard.TorchSharp;

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
    public void Largest_magnitudes_zero_fractions_and_cumulative_histograms_are_scraped_as_the_monitor_computed_them()
    {
        var maxima = run.LastScraped("gradguard_gradient_max_abs");
        var zeros = run.LastScraped("gradguard_gradient_zero_fraction");
        var histograms = run.LastScraped("gradguard_gradient_histogram");

        foreach (var configuration in run.Computed.Configs)
        {
            foreach (var parameter in configuration.Final.Parameters)
            {
                bool Same(JsonElement sample) => PrometheusServer.Label(sample, "gradguard_layer") == parameter.Layer && PrometheusServer.Label(sample, "gradguard_parameter") == parameter.Parameter;
                AssertClose(parameter.MaxMagnitude!.Value, PrometheusServer.Value(Assert.Single(Series(maxima, configuration.Name), Same)), $"{configuration.Name} {parameter.Layer}.{parameter.Parameter} max |g|");
                AssertClose(parameter.ZeroFraction!.Value, PrometheusServer.Value(Assert.Single(Series(zeros, configuration.Name), Same)), $"{configuration.Name} {parameter.Layer}.{parameter.Parameter} zero fraction");
            }

            // 50 weight layers, more than MaxPublishedHistogramLayers (8): runs of 7 top-level modules, counts added.
            var blocks = HistogramBlocks(configuration.Final.Parameters.Where(parameter => parameter.IsWeightMatrix).ToList(), maximum: 8);
            var series = Series(histograms, configuration.Name);
            Assert.Equal(blocks.Keys.Order(), series.Select(sample => PrometheusServer.Label(sample, "gradguard_layer")).Distinct().Order());
            foreach (var (block, weights) in blocks)
            {
                long elements = weights.Sum(weight => weight.Elements);
                for (int bin = 0; bin < GradientHistogram.Bins; bin++)
                {
                    double bound = GradientHistogram.UpperBounds[bin];
                    string le = double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                    var sample = Assert.Single(series, sample => PrometheusServer.Label(sample, "gradguard_layer") == block && PrometheusServer.Label(sample, "le") == le);
                    double expected = weights.Sum(weight => weight.Histogram!.Take(bin + 1).Sum()) / (double)elements;
                    Assert.True(Math.Abs(expected - PrometheusServer.Value(sample)) <= 1e-12, $"{configuration.Name} {block} le={le}: computed {expected:R}, scraped {PrometheusServer.Value(sample):R}.");
                }
            }
        }

        // Prometheus reads the gauges as a histogram's buckets: each block's median |g| lies in the octave where the
        // monitor's cumulative count passes one half (0 when most elements are exact zeros, as in ReLU layers).
        var he = run.Computed.Configs.Single(configuration => configuration.Name == "relu-he-50");
        var heBlocks = HistogramBlocks(he.Final.Parameters.Where(parameter => parameter.IsWeightMatrix).ToList(), maximum: 8);
        var medians = run.Prometheus.Query("histogram_quantile(0.5, last_over_time(gradguard_gradient_histogram{gradguard_model=\"relu-he-50\"}[10m]))");
        Assert.Equal(heBlocks.Keys.Order(), medians.Select(median => PrometheusServer.Label(median, "gradguard_layer")).Order());
        foreach (var median in medians)
        {
            var weights = heBlocks[PrometheusServer.Label(median, "gradguard_layer")];
            long elements = weights.Sum(weight => weight.Elements);
            int bin = Enumerable.Range(0, GradientHistogram.Bins).First(bin => 2 * weights.Sum(weight => weight.Histogram!.Take(bin + 1).Sum()) >= elements);
            var bounds = GradientHistogram.UpperBounds;
            Assert.InRange(PrometheusServer.Value(median), bin == 0 ? 0 : bounds[bin - 1], bounds[bin]);
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
            ["layer"] = run.Computed.Configs.SelectMany(configuration => HistogramBlocks(configuration.Final.Parameters.Where(parameter => parameter.IsWeightMatrix).ToList(), maximum: 8).Keys).Distinct(),
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
    private static bool Vanishing(IReadOnlyList<ParameterGradient> parameters)
    {
        var norms = parameters.Where(parameter => parameter.IsWeightMatrix).Select(parameter => parameter.Norm).ToList();
        bool ratio = norms[0] / norms[^1] < 1e-3 && norms[0] < 1e-4;
        bool oneLayer = norms.Zip(norms.Skip(1), (earlier, later) => later / earlier).Any(decay => decay >= 10);
        return ratio || oneLayer;
    }

    /// <summary>
    /// The documented coarsening, worked out apart from the monitor: the weights' top-level modules in forward order, in
    /// runs of equal length (the fewest that make at most <paramref name="maximum"/> runs) named <c>first..last</c>.
    /// </summary>
    private static Dictionary<string, List<ParameterGradient>> HistogramBlocks(IReadOnlyList<ParameterGradient> weights, int maximum)
    {
        string TopLevel(ParameterGradient weight) => weight.Layer.Split('.')[0];
        var modules = weights.Select(TopLevel).Distinct().ToList();
        int length = (modules.Count + maximum - 1) / maximum;
        return modules.Chunk(length).ToDictionary(
            run => run.Length == 1 ? run[0] : $"{run[0]}..{run[^1]}",
            run => weights.Where(weight => run.Contains(TopLevel(weight))).ToList());
    }

    private static List<JsonElement> Series(IEnumerable<JsonElement> samples, string model) =>
        samples.Where(sample => PrometheusServer.Label(sample, "gradguard_model") == model).ToList();

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= RelativeTolerance * Math.Abs(expected), $"{what}: the monitor computed {expected:R}, Prometheus holds {actual:R}.");
}
