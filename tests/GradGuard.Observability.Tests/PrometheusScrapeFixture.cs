using GradientFlow;

namespace GradGuard.Observability.Tests;

/// <summary>
/// One run of the GradientFlow sample at depth 16 with <c>--prometheus-port</c>, scraped every second by a real
/// Prometheus that also evaluates <c>samples/dashboards/gradguard-alerts.yml</c>, and the <c>--json</c> file in which
/// the sample wrote what its monitor computed. Prometheus keeps running for the tests to query.
/// </summary>
public sealed class PrometheusScrapeFixture : IDisposable
{
    public const int Width = 32;

    private static readonly TimeSpan SampleTimeout = TimeSpan.FromMinutes(3);

    public PrometheusScrapeFixture()
    {
        int samplePort = Loopback.FreePort();
        Prometheus = PrometheusServer.Start(samplePort, Path.Combine(Repository.DashboardsDirectory, "gradguard-alerts.yml"));
        string json = Path.Combine(Path.GetTempPath(), $"gradguard-scraped-{Guid.NewGuid():N}.json");
        try
        {
            Start = DateTimeOffset.UtcNow;
            // Each configuration's final metrics stay up 4 s, four scrapes and rule evaluations, before the next
            // configuration replaces them; one or two scrapes can time out while the sample's runtime warms up.
            using var sample = ChildProcess.StartGradientFlow(new[]
            {
                "--depths", "16", "--width", $"{Width}", "--batch", "32", "--steps", "3",
                "--prometheus-port", $"{samplePort}", "--serve-seconds", "4", "--json", json,
            });
            sample.WaitForSuccess(SampleTimeout);
            End = DateTimeOffset.UtcNow;
            Computed = FlowJson.Read(json);
        }
        catch
        {
            Prometheus.Dispose();
            throw;
        }
        finally
        {
            File.Delete(json);
        }
    }

    public PrometheusServer Prometheus { get; }

    /// <summary>What the monitor computed, from the sample's <c>--json</c> file.</summary>
    public FlowJson Computed { get; }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    /// <summary>
    /// The last value Prometheus scraped of each series of a metric. A configuration's series go stale once the next
    /// one trains, so an instant query would miss them; last_over_time still sees their last sample.
    /// </summary>
    public IReadOnlyList<System.Text.Json.JsonElement> LastScraped(string metric) =>
        Prometheus.Query($"last_over_time({metric}{{job=\"{PrometheusServer.Job}\"}}[10m])");

    public void Dispose() => Prometheus.Dispose();
}
