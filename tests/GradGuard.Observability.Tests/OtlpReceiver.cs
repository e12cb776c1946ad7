using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GradGuard.Observability.Tests;

/// <summary>
/// An OTLP/HTTP metrics receiver on loopback: accepts POST /v1/metrics and keeps every decoded metric. It speaks just
/// enough HTTP/1.1 (Content-Length bodies on kept-alive connections) for the exporter. HttpListener would be shorter, but
/// it closes idle kept-alive connections just as the exporter reuses them, and the export on them is lost.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private const string Accepted = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
    private const string BadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<OtlpMetric> metrics = new();
    private readonly List<string> rejected = new();
    private readonly Task accepting;

    private OtlpReceiver()
    {
        listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = Task.Run(Accept);
    }

    /// <summary>The value for OTEL_EXPORTER_OTLP_ENDPOINT; the exporter appends /v1/metrics.</summary>
    public string Endpoint { get; }

    public IReadOnlyList<OtlpMetric> Metrics
    {
        get
        {
            lock (metrics)
            {
                return metrics.ToList();
            }
        }
    }

    /// <summary>Requests that were not an OTLP/HTTP protobuf metrics export, described.</summary>
    public IReadOnlyList<string> Rejected
    {
        get
        {
            lock (metrics)
            {
                return rejected.ToList();
            }
        }
    }

    public static OtlpReceiver Start() => new();

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        accepting.Wait(TimeSpan.FromSeconds(10));
        stopping.Dispose();
    }

    private async Task Accept()
    {
        var connections = new List<Task>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stopping.Token);
                connections.Add(Task.Run(() => Serve(client)));
            }
        }
        catch (Exception stopped) when (stopped is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Dispose stopped the listener.
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task Serve(TcpClient client)
    {
        using var connection = client;
        using var stream = client.GetStream();
        try
        {
            while (await ReadHead(stream, stopping.Token) is { } head)
            {
                var (requestLine, headers) = head;
                headers.TryGetValue("content-length", out string? lengthText);
                bool valid = requestLine == "POST /v1/metrics HTTP/1.1"
                    && headers.GetValueOrDefault("content-type") == "application/x-protobuf"
                    && !headers.ContainsKey("content-encoding") && !headers.ContainsKey("transfer-encoding")
                    && int.TryParse(lengthText, out _);
                if (!valid)
                {
                    Reject($"{requestLine} with headers {string.Join("; ", headers.Select(header => $"{header.Key}: {header.Value}"))}");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(BadRequest), stopping.Token);
                    return;
                }

                var body = new byte[int.Parse(lengthText!)];
                await stream.ReadExactlyAsync(body, stopping.Token);
                try
                {
                    var decoded = OtlpMetrics.Decode(body).ToList();
                    lock (metrics)
                    {
                        metrics.AddRange(decoded);
                    }
                }
                catch (InvalidDataException error)
                {
                    Reject($"undecodable body: {error.Message}");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(BadRequest), stopping.Token);
                    return;
                }

                // An empty body is an empty ExportMetricsServiceResponse: everything accepted.
                await stream.WriteAsync(Encoding.ASCII.GetBytes(Accepted), stopping.Token);
            }
        }
        catch (Exception closed) when (closed is IOException or OperationCanceledException or EndOfStreamException)
        {
            // The exporter closed the connection, or the receiver is stopping.
        }
    }

    /// <summary>The request line and lower-cased headers of the next request, or null when the client closed the connection.</summary>
    private static async Task<(string RequestLine, Dictionary<string, string> Headers)?> ReadHead(NetworkStream stream, CancellationToken cancellation)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellation) == 0)
            {
                return null;
            }

            head.Append((char)one[0]);
        }

        var lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0].Trim().ToLowerInvariant(), parts => parts.Length > 1 ? parts[1].Trim() : "");
        return (lines[0], headers);
    }

    private void Reject(string description)
    {
        lock (metrics)
        {
            rejected.Add(description);
        }
    }
}
