namespace GradGuard.Observability.Tests;

/// <summary>A data point of an OTLP gauge or sum: its attributes, when it was taken, and its value.</summary>
public sealed record OtlpPoint(IReadOnlyDictionary<string, object> Attributes, ulong TimeUnixNano, double Value)
{
    public object? Attribute(string key) => Attributes.GetValueOrDefault(key);
}

/// <summary>A metric as one OTLP export carried it.</summary>
/// <param name="Kind">"gauge" or "sum"; other kinds are not decoded.</param>
public sealed record OtlpMetric(IReadOnlyDictionary<string, object> Resource, string Scope, string Name, string Unit, string Kind, IReadOnlyList<OtlpPoint> Points);

/// <summary>
/// Decodes an ExportMetricsServiceRequest body by the field numbers of opentelemetry-proto's metrics/v1, common/v1 and
/// resource/v1 messages.
/// </summary>
public static class OtlpMetrics
{
    public static IEnumerable<OtlpMetric> Decode(ReadOnlyMemory<byte> request) =>
        Messages(request, 1).SelectMany(ResourceMetrics);

    private static IEnumerable<OtlpMetric> ResourceMetrics(ReadOnlyMemory<byte> resourceMetrics)
    {
        var resource = Messages(resourceMetrics, 1).Select(message => Attributes(message, 1)).SingleOrDefault() ?? new Dictionary<string, object>();
        foreach (var scopeMetrics in Messages(resourceMetrics, 2))
        {
            string scope = Messages(scopeMetrics, 1).Select(message => String(message, 1)).SingleOrDefault() ?? "";
            foreach (var metric in Messages(scopeMetrics, 2))
            {
                var (kind, data) = Messages(metric, 5).Select(gauge => ("gauge", gauge))
                    .Concat(Messages(metric, 7).Select(sum => ("sum", sum)))
                    .SingleOrDefault();
                var points = kind is null ? new List<OtlpPoint>() : Messages(data, 1).Select(Point).ToList();
                yield return new OtlpMetric(resource, scope, String(metric, 1) ?? "", String(metric, 3) ?? "", kind ?? "other", points);
            }
        }
    }

    /// <summary>NumberDataPoint: attributes 7, time_unix_nano 3, as_double 4, as_int 6.</summary>
    private static OtlpPoint Point(ReadOnlyMemory<byte> point)
    {
        var fields = Protobuf.Fields(point).ToList();
        double value = fields.Where(field => field.Number is 4 or 6).Select(field => field.Number == 4 ? field.AsDouble : field.AsInt64).Single();
        ulong time = fields.Single(field => field.Number == 3).Scalar;
        return new OtlpPoint(Attributes(point, 7), time, value);
    }

    /// <summary>KeyValue (key 1, value 2) with AnyValue string 1, bool 2, int 3, double 4.</summary>
    private static Dictionary<string, object> Attributes(ReadOnlyMemory<byte> message, int field) =>
        Messages(message, field).ToDictionary(
            keyValue => String(keyValue, 1) ?? "",
            keyValue => Protobuf.Fields(Messages(keyValue, 2).Single()).Select(value => value.Number switch
            {
                1 => value.AsString,
                2 => value.Scalar != 0,
                3 => value.AsInt64,
                4 => (object)value.AsDouble,
                _ => throw new InvalidDataException($"Attribute {String(keyValue, 1)} has an AnyValue kind ({value.Number}) GradGuard does not send."),
            }).Single());

    private static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int field) =>
        Protobuf.Fields(message).Where(candidate => candidate.Number == field).Select(candidate => candidate.Payload);

    private static string? String(ReadOnlyMemory<byte> message, int field) =>
        Protobuf.Fields(message).Where(candidate => candidate.Number == field).Select(candidate => candidate.AsString).SingleOrDefault();
}
