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
    public void Every_per_model_query_follows_the_model_variable()
    {
        Assert.All(dashboard.Queries, query => Assert.Contains("gradguard_model=~\"$model\"", query.Expression));
    }
}
