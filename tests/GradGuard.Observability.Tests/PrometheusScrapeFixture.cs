using GradientFlow;

namespace GradGuard.Observability.Tests;

/// <summary>
/// One run of the GradientFlow sample at depth 50 with <c>--prometheus-port</c>, scraped every second by a real
/// Prometheus that also evaluates <c>samples/dashboards/gradguard-alerts.yml</c>, and the <c>--json</c> file in which
/// the sample wrote what its monitor computed. Prometheus keeps running for the tests to query. The rules are the shipped
/// ones with <c>for: 1m</c> shortened to one second, so that an alert fires within a configuration's serving window.
/// </summary>
public sealed class PrometheusScrapeFixture : IDisposable
{
    public const int Width = 32;

    public const string RunId = "scrape-test";

    private static readonly TimeSpan SampleTimeout = TimeSpan.FromMinutes(3);

    public PrometheusScrapeFixture()
    {
        int samplePort = Loopback.FreePort();
        rules = Path.Combine(Path.GetTempPath(), $"gradguard-alerts-{Guid.NewGuid():N}.yml");
        File.WriteAllText(rules, File.ReadAllText(Path.Combine(Repository.DashboardsDirectory, "gradguard-alerts.yml")).Replace("for: 1m", "for: 1s", StringComparison.Ordinal));
        string json = Path.Combine(Path.GetTempPath(), $"gradguard-scraped-{Guid.NewGuid():N}.json");
        try
        {
            Prometheus = PrometheusServer.Start(samplePort, rules);
            Start = DateTimeOffset.UtcNow;
            // Each configuration's final metrics stay up 4 s, four scrapes and rule evaluations, before the next
            // configuration replaces them; one or two scrapes can time out while the sample's runtime warms up.
            Instance = $"127.0.0.1:{samplePort}";
            using var sample = ChildProcess.StartGradientFlow(new[]
            {
                "--depths", "50", "--width", $"{Width}", "--batch", "32", "--steps", "3",
                "--prometheus-port", $"{samplePort}", "--serve-seconds", "4", "--json", json, "--run-id", RunId,
            });
            sample.WaitForSuccess(SampleTimeout);
            End = DateTimeOffset.UtcNow;
            Computed = FlowJson.Read(json);
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            File.Delete(json);
        }
    }

    private readonly string rules;

    public PrometheusServer Prometheus { get; } = null!;

    /// <summary>The <c>instance</c> label Prometheus gives the sample's series.</summary>
    public string Instance { get; } = "";

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

    public void Dispose()
    {
        Prometheus?.Dispose();
        File.Delete(rules);
    }
}
