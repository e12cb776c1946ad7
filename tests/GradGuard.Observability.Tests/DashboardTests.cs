namespace GradGuard.Observability.Tests;

/// <summary>The dashboard's shape; that its queries find the sample's series is checked against Prometheus in <see cref="PrometheusScrapeTests"/>.</summary>
public sealed class DashboardTests
{
    private readonly Dashboard dashboard = Dashboard.Load();

    [Theory]
    [InlineData("Gradient norm per layer (weights)")]
    [InlineData("First-layer / last-layer gradient norm")]
    [InlineData("Total gradient norm")]
    public void Gradient_norms_span_orders_of_magnitude_so_their_panels_use_a_log10_axis(string title)
    {
        var scale = dashboard.Panel(title).GetProperty("fieldConfig").GetProperty("defaults").GetProperty("custom").GetProperty("scaleDistribution");

        Assert.Equal(("log", 10), (scale.GetProperty("type").GetString(), scale.GetProperty("log").GetInt32()));
    }

    [Fact]
    public void Every_panel_and_query_reads_the_data_source_chosen_on_import()
    {
        Assert.All(dashboard.Panels, panel =>
        {
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.All(panel.GetProperty("targets").EnumerateArray(), target => Assert.Equal("${datasource}", target.GetProperty("datasource").GetProperty("uid").GetString()));
        });
    }

    [Fact]
    public void Every_query_of_GradGuard_s_series_follows_the_job_instance_and_model_variables()
    {
        var gradGuardQueries = dashboard.Queries.Where(query => Dashboard.MetricNames(query.Expression).Any() || query.Expression.Contains("ALERTS", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(gradGuardQueries);
        Assert.All(gradGuardQueries, query => Assert.Contains("job=~\"$job\", instance=~\"$instance\", gradguard_model=~\"$model\"", query.Expression));
    }

    [Fact]
    public void Runs_choose_the_instances_and_the_trainers_table_shows_which_run_each_instance_is()
    {
        var variables = dashboard.VariableSources.ToDictionary(variable => variable.Name);

        Assert.Equal(new[] { "job", "run", "instance", "model", "layer" }, variables.Keys);
        Assert.Equal(("target_info{job=~\"$job\"}", "service_instance_id"), (variables["run"].Selector, variables["run"].Label));
        Assert.Equal(("target_info{job=~\"$job\", service_instance_id=~\"$run\"}", "instance"), (variables["instance"].Selector, variables["instance"].Label));
        Assert.Contains("service_instance_id=~\"$run\"", Assert.Single(dashboard.Panel("Trainers (OpenTelemetry resource)").GetProperty("targets").EnumerateArray()).GetProperty("expr").GetString());
    }
}
