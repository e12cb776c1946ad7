using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

public class MetricsTests
{
    [Fact]
    public void OpenTelemetry_exports_each_parameter_norm_with_model_layer_and_parameter_attributes()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        torch.manual_seed(5);
        using var model = nn.Sequential(("fc", nn.Linear(3, 4)), ("relu", nn.ReLU()), ("head", nn.Linear(4, 1)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-norms" });
        using var input = torch.randn(6, 3);

        var report = TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        var norms = Points(exported, GradGuardMetrics.GradientNormInstrument, "otel-norms");
        Assert.Equal(report.Parameters.Count, norms.Count);
        foreach (var parameter in report.Parameters)
        {
            var point = Assert.Single(norms, point => Equals(point.Tags[GradGuardMetrics.LayerAttribute], parameter.Layer) && Equals(point.Tags[GradGuardMetrics.ParameterAttribute], parameter.Parameter));
            Assert.Equal(parameter.Norm, point.Value);
            Assert.Equal(parameter.LayerIndex, Convert.ToInt32(point.Tags[GradGuardMetrics.LayerIndexAttribute]));
        }

        var dead = Assert.Single(Points(exported, GradGuardMetrics.DeadUnitsInstrument, "otel-norms"));
        Assert.Equal("relu", dead.Tags[GradGuardMetrics.LayerAttribute]);
        Assert.Equal((double)report.Activations.Single().DeadUnits!.Value, dead.Value);
        Assert.Equal(report.FirstToLastRatio, Assert.Single(Points(exported, GradGuardMetrics.FirstToLastInstrument, "otel-norms")).Value);
        Assert.Equal("1", exported.First(metric => metric.Name == GradGuardMetrics.FirstToLastInstrument).Unit);
    }

    [Fact]
    public void Diagnoses_and_non_finite_values_are_counted()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = nn.Linear(2, 1);
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-nan" });
        using var input = torch.tensor(new float[] { float.NaN, 1 }).reshape(1, 2);

        TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        Assert.Equal(3, Points(exported, GradGuardMetrics.NonFiniteInstrument, "otel-nan").Sum(point => point.Value));
        var diagnosis = Assert.Single(Points(exported, GradGuardMetrics.DiagnosesInstrument, "otel-nan"));
        Assert.Equal("non_finite_gradients", diagnosis.Tags[GradGuardMetrics.ProblemAttribute]);
        Assert.False(diagnosis.Tags.ContainsKey(GradGuardMetrics.LayerAttribute));
    }

    [Fact]
    public void A_throwing_metrics_listener_does_not_stop_the_training_step()
    {
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == GradGuardMetrics.MeterName)
                {
                    meterListener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("listener failure"));
        listener.Start();
        using var model = nn.Linear(2, 1);
        using var monitor = GradientMonitor.Attach(model);
        using var input = torch.randn(3, 2);

        var report = TestModels.Step(model, monitor, input);

        Assert.Equal(2, report.Parameters.Count);
    }

    [Fact]
    public void A_disposed_monitor_stops_publishing()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = nn.Linear(2, 1);
        var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-disposed" });
        using var input = torch.randn(3, 2);
        TestModels.Step(model, monitor, input);

        monitor.Dispose();
        exported.Clear();
        meterProvider.ForceFlush();

        Assert.Empty(Points(exported, GradGuardMetrics.GradientNormInstrument, "otel-disposed"));
    }

    private static List<(double Value, Dictionary<string, object?> Tags)> Points(List<MetricSnapshot> exported, string name, string model)
    {
        var points = new List<(double, Dictionary<string, object?>)>();
        foreach (var metric in exported.Where(metric => metric.Name == name))
        {
            foreach (var point in metric.MetricPoints)
            {
                var tags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                if (!Equals(tags[GradGuardMetrics.ModelAttribute], model))
                {
                    continue;
                }

                double value = metric.MetricType switch
                {
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.LongSum => point.GetSumLong(),
                    _ => point.GetSumDouble(),
                };
                points.Add((value, tags));
            }
        }

        return points;
    }
}
