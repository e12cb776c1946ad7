using GradGuard.TorchSharp;
using GradientFlow;

namespace GradGuard.Observability.Tests;

/// <summary>The sample configured only through the standard OTEL_* variables, exporting to an OTLP/HTTP receiver on loopback.</summary>
public sealed class OtlpExportTests
{
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Name, unit and OTLP kind of every metric the sample sends in this run.</summary>
    public static readonly TheoryData<string, string, string> ExpectedMetrics = new()
    {
        { "gradguard.gradient.norm", "", "gauge" },
        { "gradguard.gradient.total_norm", "", "gauge" },
        { "gradguard.gradient.first_to_last", "1", "gauge" },
        { "gradguard.activation.dead_units", "{unit}", "gauge" },
        { "gradguard.activation.dead", "1", "gauge" },
        { "gradguard.activation.saturated", "1", "gauge" },
        { "gradguard.collections", "{collection}", "sum" },
        { "gradguard.diagnoses", "{diagnosis}", "sum" },
        { "gradguard.monitor.cadence", "{step}", "gauge" },
        { "gradguard.monitor.time_share", "1", "gauge" },
    };

    private static readonly Lazy<(IReadOnlyList<OtlpMetric> Metrics, FlowJson Computed)> Export = new(RunSampleAgainstReceiver);

    [Theory]
    [MemberData(nameof(ExpectedMetrics))]
    public void Each_metric_arrives_with_its_name_unit_and_kind(string name, string unit, string kind)
    {
        var sent = Export.Value.Metrics.Where(metric => metric.Name == name).ToList();

        Assert.NotEmpty(sent);
        Assert.All(sent, metric => Assert.Equal((GradGuardMetrics.MeterName, unit, kind), (metric.Scope, metric.Unit, metric.Kind)));
        Assert.Contains(sent, metric => metric.Points.Count > 0);
    }

    [Fact]
    public void The_resource_carries_the_service_name_and_the_OTEL_RESOURCE_ATTRIBUTES()
    {
        Assert.All(Export.Value.Metrics, metric =>
        {
            Assert.Equal("GradientFlow", metric.Resource["service.name"]);
            Assert.Equal("gradguard-test", metric.Resource["deployment.environment"]);
        });
    }

    [Fact]
    public void Per_layer_gradient_norms_carry_the_layer_attributes_and_the_monitor_s_final_values()
    {
        foreach (var configuration in Export.Value.Computed.Configs)
        {
            foreach (var parameter in configuration.Final.Parameters)
            {
                var last = AssertLastExported("gradguard.gradient.norm", configuration.Name, parameter.Layer, parameter.Norm, (GradGuardMetrics.ParameterAttribute, parameter.Parameter));
                Assert.Equal((long)parameter.LayerIndex, last.Attribute(GradGuardMetrics.LayerIndexAttribute));
            }
        }
    }

    [Fact]
    public void Activation_fractions_carry_the_layer_and_source_and_the_monitor_s_final_values()
    {
        foreach (var configuration in Export.Value.Computed.Configs)
        {
            foreach (var activation in configuration.Final.Activations)
            {
                var (metric, expected) = activation.Kind switch
                {
                    ActivationKind.Rectifier => ("gradguard.activation.dead", activation.DeadFraction),
                    ActivationKind.Saturating => ("gradguard.activation.saturated", activation.SaturatedFraction),
                    _ => ("gradguard.activation.without_gradient", activation.WithoutGradientFraction),
                };
                var last = AssertLastExported(metric, configuration.Name, activation.Layer, expected!.Value);
                Assert.Equal(GradGuardMetrics.SourceName(activation.Source), last.Attribute(GradGuardMetrics.SourceAttribute));
            }
        }
    }

    [Fact]
    public void The_collection_counter_counts_every_step_of_every_configuration()
    {
        var collections = Points("gradguard.collections");

        foreach (var configuration in Export.Value.Computed.Configs)
        {
            double counted = collections.Where(point => Equals(point.Attribute(GradGuardMetrics.ModelAttribute), configuration.Name)).Max(point => point.Value);
            Assert.Equal(configuration.Final.Step, counted);
        }
    }

    private static List<OtlpPoint> Points(string metric) =>
        Export.Value.Metrics.Where(candidate => candidate.Name == metric).SelectMany(candidate => candidate.Points).ToList();

    /// <summary>
    /// Asserts that the most recently exported point of one model's layer (and, where given, one more attribute) holds
    /// exactly the value the monitor computed last, and returns it.
    /// </summary>
    private static OtlpPoint AssertLastExported(string metric, string model, string layer, double expected, (string Key, string Value)? also = null)
    {
        var series = Points(metric)
            .Where(point => Equals(point.Attribute(GradGuardMetrics.ModelAttribute), model) && Equals(point.Attribute(GradGuardMetrics.LayerAttribute), layer))
            .Where(point => also is not { } attribute || Equals(point.Attribute(attribute.Key), attribute.Value))
            .OrderBy(point => point.TimeUnixNano)
            .ToList();
        string what = $"{metric} of {model} {layer} {also}";
        Assert.True(series.Count > 0, $"No {what} was exported.");
        Assert.True(series[^1].Value == expected, $"{what}: the monitor computed {expected:R}, the last export carried {series[^1].Value:R}. Exported: {string.Join(", ", series.Select(point => $"{point.Value:R} at {point.TimeUnixNano}"))}.");
        return series[^1];
    }

    private static (IReadOnlyList<OtlpMetric>, FlowJson) RunSampleAgainstReceiver()
    {
        using var receiver = OtlpReceiver.Start();
        string json = Path.Combine(Path.GetTempPath(), $"gradguard-otlp-{Guid.NewGuid():N}.json");
        try
        {
            // Depth 8 so that the sigmoid network is diagnosed with vanishing gradients and the diagnoses counter is sent.
            // Serving each configuration's final values for a second lets the 200 ms periodic export send them several
            // times, as a long training run would; the sample's one flush per configuration was seen to go missing
            // about once in fifteen runs (see docs/observability.md).
            using var sample = ChildProcess.StartGradientFlow(
                new[] { "--depths", "8", "--width", "16", "--batch", "8", "--steps", "2", "--serve-seconds", "1", "--json", json },
                new Dictionary<string, string?>
                {
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
                    ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                    ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
                    ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=gradguard-test",
                });
            sample.WaitForSuccess(SampleTimeout);
            Assert.Contains("metrics to OTLP", sample.Output);
            Assert.Empty(receiver.Rejected);
            return (receiver.Metrics, FlowJson.Read(json));
        }
        finally
        {
            File.Delete(json);
        }
    }
}
