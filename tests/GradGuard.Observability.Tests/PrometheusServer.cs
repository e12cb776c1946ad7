using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace GradGuard.Observability.Tests;

/// <summary>
/// A real Prometheus (Debian's package) on 127.0.0.1, scraping its targets every second and evaluating the given rule
/// files, with its storage in a temporary folder that is deleted with it.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    public const string Job = "gradientflow";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo directory;
    private readonly ChildProcess process;
    private readonly HttpClient client;

    private PrometheusServer(DirectoryInfo directory, ChildProcess process, HttpClient client)
    {
        this.directory = directory;
        this.process = process;
        this.client = client;
    }

    public static PrometheusServer Start(int targetPort, params string[] ruleFiles) => Start(new[] { targetPort }, ruleFiles);

    /// <summary>Starts Prometheus scraping every port in <paramref name="targetPorts"/> on loopback as one job.</summary>
    public static PrometheusServer Start(IReadOnlyList<int> targetPorts, params string[] ruleFiles)
    {
        Repository.InstallTools("prometheus");
        var directory = Directory.CreateTempSubdirectory("gradguard-prometheus-");
        string configuration = Path.Combine(directory.FullName, "prometheus.yml");
        File.WriteAllText(configuration, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files: [{string.Join(", ", ruleFiles.Select(file => JsonSerializer.Serialize(file)))}]
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: [{string.Join(", ", targetPorts.Select(port => $"\"127.0.0.1:{port}\""))}]
            """);

        int port = Loopback.FreePort();
        var process = ChildProcess.Start("prometheus", new[]
        {
            $"--config.file={configuration}",
            $"--web.listen-address=127.0.0.1:{port}",
            $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}",
        });
        var server = new PrometheusServer(directory, process, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) });
        try
        {
            server.WaitUntilReady();
            server.WaitForFirstScrapes(targetPorts.Count);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Evaluates an instant query now and returns its result vector.</summary>
    public IReadOnlyList<JsonElement> Query(string promql) =>
        Api($"api/v1/query?query={Uri.EscapeDataString(promql)}").GetProperty("result").EnumerateArray().ToList();

    /// <summary>Evaluates a query over a time range, one point a second, as a dashboard panel does; returns its series.</summary>
    public IReadOnlyList<JsonElement> QueryRange(string promql, DateTimeOffset start, DateTimeOffset end) =>
        Api(FormattableString.Invariant($"api/v1/query_range?query={Uri.EscapeDataString(promql)}&start={start.ToUnixTimeSeconds()}&end={end.ToUnixTimeSeconds()}&step=1"))
            .GetProperty("result").EnumerateArray().ToList();

    /// <summary>The data of an API answer; throws with Prometheus's error text when it refused the request.</summary>
    public JsonElement Api(string pathAndQuery)
    {
        using var response = client.GetAsync(pathAndQuery).GetAwaiter().GetResult();
        var body = response.Content.ReadFromJsonAsync<JsonElement>().GetAwaiter().GetResult();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus answered {pathAndQuery} with {body}");
        }

        return body.GetProperty("data");
    }

    public void Dispose()
    {
        client.Dispose();
        process.Dispose();
        directory.Delete(recursive: true);
    }

    /// <summary>A sample value of a vector element, which Prometheus sends as a string.</summary>
    public static double Value(JsonElement sample) =>
        double.Parse(sample.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string Label(JsonElement sample, string name) =>
        sample.GetProperty("metric").TryGetProperty(name, out var value) ? value.GetString()! : "";

    /// <summary>
    /// Waits until every target has been scraped once (<c>up</c> is written whether the scrape succeeded or not): Prometheus
    /// starts its scrape loops a few seconds after it is ready, and a sample's first configuration can train and be gone
    /// by then.
    /// </summary>
    private void WaitForFirstScrapes(int targets)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (Query("up").Count < targets)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus scraped none of its {targets} targets within {StartTimeout.TotalSeconds:0} s. Output:\n{process.Output}");
            }

            Thread.Sleep(200);
        }
    }

    private void WaitUntilReady()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited while starting. Output:\n{process.Output}");
            }

            try
            {
                using var response = client.GetAsync("-/ready").GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Thread.Sleep(200);
        }

        throw new TimeoutException($"Prometheus was not ready within {StartTimeout.TotalSeconds:0} s. Output:\n{process.Output}");
    }
}
