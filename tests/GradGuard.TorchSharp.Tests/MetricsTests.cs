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

    [Fact]
    public void Each_call_of_a_reused_activation_is_its_own_series_named_by_call()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = new DeclaredBackwards();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-sites" });
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        var dead = Points(exported, GradGuardMetrics.DeadFractionInstrument, "otel-sites");
        Assert.Equal(new[] { "act", "act#2", "act#3" }, dead.Select(point => point.Tags[GradGuardMetrics.LayerAttribute]));
        Assert.Equal(report.Activations.Select(site => site.DeadFraction!.Value), dead.Select(point => point.Value));
        Assert.All(dead, point => Assert.Equal("forward_hook", point.Tags[GradGuardMetrics.SourceAttribute]));
    }

    [Fact]
    public void Figures_that_depend_on_the_layer_order_say_whether_it_was_seen_or_inferred()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var seenModel = new DeclaredBackwards();
        using var inferredModel = new ThroughForward();
        using var seen = GradientMonitor.Attach(seenModel, new GradientMonitorOptions { ModelName = "otel-seen" });
        using var inferred = GradientMonitor.Attach(inferredModel, new GradientMonitorOptions { ModelName = "otel-inferred" });
        using var input = Reference.Input(8);

        var seenReport = TestModels.Step(seenModel, seen, input);
        var inferredReport = TestModels.Step(inferredModel, inferred, input);
        meterProvider.ForceFlush();

        foreach (var (model, report, order) in new[] { ("otel-seen", seenReport, "forward_pass"), ("otel-inferred", inferredReport, "inferred") })
        {
            foreach (var (instrument, value) in new[]
            {
                (GradGuardMetrics.FirstToLastInstrument, report.FirstToLastRatio),
                (GradGuardMetrics.FirstLayerNormInstrument, report.WeightGradients.First().Norm),
                (GradGuardMetrics.LargestLayerDecayInstrument, report.LargestLayerDecay),
            })
            {
                var point = Assert.Single(Points(exported, instrument, model));
                Assert.Equal((value, order), (point.Value, point.Tags[GradGuardMetrics.OrderAttribute]));
            }

            Assert.All(Points(exported, GradGuardMetrics.GradientNormInstrument, model), point => Assert.Equal(order, point.Tags[GradGuardMetrics.OrderAttribute]));
        }

        var norms = seenReport.WeightGradients.Select(weight => weight.Norm).ToList();
        Assert.Equal(norms.Zip(norms.Skip(1), (earlier, later) => later / earlier).Max(), seenReport.LargestLayerDecay);
        var withoutGradient = Points(exported, GradGuardMetrics.WithoutGradientInstrument, "otel-inferred");
        Assert.Equal(new[] { ("fc1", 0.75), ("fc2", 1 / 16.0) }, withoutGradient.Select(point => ((string)point.Tags[GradGuardMetrics.LayerAttribute]!, point.Value)));
        Assert.Empty(Points(exported, GradGuardMetrics.DeadFractionInstrument, "otel-inferred"));
    }

    [Fact]
    public void Top_level_blocks_publish_one_series_each_with_the_L2_norm_of_their_parameters_and_their_worst_site()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = new ResidualBlocks();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-blocks", PublishedLayerDepth = 1 });
        using var input = Reference.Input(8);

        var report = TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        var weights = Points(exported, GradGuardMetrics.GradientNormInstrument, "otel-blocks").Where(point => Equals(point.Tags[GradGuardMetrics.ParameterAttribute], "weight")).ToList();
        Assert.Equal(new[] { "stem", "blocks", "head" }, weights.Select(point => point.Tags[GradGuardMetrics.LayerAttribute]));
        double blocks = Math.Sqrt(report.WeightGradients.Where(weight => weight.Layer.StartsWith("blocks.", StringComparison.Ordinal)).Sum(weight => weight.Norm * weight.Norm));
        Assert.Equal(blocks, weights[1].Value, 12);
        var dead = Assert.Single(Points(exported, GradGuardMetrics.DeadFractionInstrument, "otel-blocks"));
        Assert.Equal(("blocks", 0.75), (dead.Tags[GradGuardMetrics.LayerAttribute], dead.Value));
    }

    [Fact]
    public void Beyond_the_series_bound_blocks_get_coarser_once_logged_and_a_filter_publishes_a_subset()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = nn.Sequential(Enumerable.Range(0, 12).Select(index => ($"{index}", (nn.Module<Tensor, Tensor>)nn.Linear(4, 4))).ToArray());
        var logger = new RecordingLogger();
        using var bounded = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-bounded", MaxPublishedLayers = 5 }, logger);
        using var filtered = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-filtered", PublishLayer = layer => layer is "0" or "11" });
        using var input = torch.randn(3, 4);

        TestModels.Step(model, bounded, input);
        filtered.Collect();
        meterProvider.ForceFlush();
        meterProvider.ForceFlush();

        var runs = Points(exported, GradGuardMetrics.GradientNormInstrument, "otel-bounded").Where(point => Equals(point.Tags[GradGuardMetrics.ParameterAttribute], "weight"));
        Assert.Equal(new[] { "0..2", "3..5", "6..8", "9..11" }, runs.Select(point => point.Tags[GradGuardMetrics.LayerAttribute]).Distinct());
        // Logged once although exported twice: the 12 layers' norms, and the 11 sites where one Linear feeds the next.
        var coarsened = logger.Entries.Where(entry => entry.EventId.Name == "LayerSeriesCoarsened").Select(entry => ((string)entry.State["Instrument"]!, (int)entry.State["Layers"]!, (int)entry.State["Groups"]!));
        Assert.Equal(new[] { (GradGuardMetrics.GradientNormInstrument, 12, 4), ("gradguard.activation.*", 11, 4) }, coarsened);
        var subset = Points(exported, GradGuardMetrics.GradientNormInstrument, "otel-filtered").Select(point => point.Tags[GradGuardMetrics.LayerAttribute]).Distinct();
        Assert.Equal(new[] { "0", "11" }, subset);
    }

    [Fact]
    public void The_gradient_distribution_is_exported_per_parameter_and_the_histogram_cumulatively_per_weight_layer_and_bound()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        torch.manual_seed(6);
        using var model = nn.Sequential(("fc", nn.Linear(3, 8)), ("relu", nn.ReLU()), ("head", nn.Linear(8, 2)));
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-distribution", MeasureGradientHistogram = true });
        using var input = torch.randn(5, 3);

        var report = TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();

        var maxima = Points(exported, GradGuardMetrics.MaxMagnitudeInstrument, "otel-distribution");
        var zeros = Points(exported, GradGuardMetrics.ZeroFractionInstrument, "otel-distribution");
        Assert.Equal(4, maxima.Count);
        Assert.Equal(4, zeros.Count);
        foreach (var parameter in report.Parameters)
        {
            bool Same(Dictionary<string, object?> tags) => Equals(tags[GradGuardMetrics.LayerAttribute], parameter.Layer) && Equals(tags[GradGuardMetrics.ParameterAttribute], parameter.Parameter);
            Assert.Equal(parameter.MaxMagnitude, Assert.Single(maxima, point => Same(point.Tags)).Value);
            Assert.Equal(parameter.ZeroFraction, Assert.Single(zeros, point => Same(point.Tags)).Value);
        }

        var histogram = Points(exported, GradGuardMetrics.HistogramInstrument, "otel-distribution");
        Assert.Equal("1", exported.First(metric => metric.Name == GradGuardMetrics.HistogramInstrument).Unit);
        Assert.Equal(2 * GradientHistogram.Bins, histogram.Count);
        var fc = histogram.Where(point => Equals(point.Tags[GradGuardMetrics.LayerAttribute], "fc")).ToList();
        Assert.All(fc, point => Assert.Equal("weight", point.Tags[GradGuardMetrics.ParameterAttribute]));
        Assert.Equal(["0", "9.094947017729282E-13", "1.8189894035458565E-12"], fc.Take(3).Select(point => (string)point.Tags[GradGuardMetrics.BucketBoundAttribute]!));
        Assert.Equal(("256", "+Inf"), ((string)fc[^2].Tags["le"]!, (string)fc[^1].Tags["le"]!));
        // Cumulative, from the fc weight's own counts: at le = 0 its zero fraction, at +Inf all of it.
        var weight = report.WeightGradients.First();
        var counts = weight.Histogram!;
        Assert.Equal(weight.ZeroFraction, fc[0].Value);
        Assert.Equal(1, fc[^1].Value);
        int median = Enumerable.Range(0, counts.Count).First(bin => counts.Take(bin + 1).Sum() * 2 >= weight.Elements);
        Assert.Equal(counts.Take(median + 1).Sum() / (double)weight.Elements, fc[median].Value, 12);
        Assert.True(fc[median].Value >= 0.5 && (median == 0 || fc[median - 1].Value < 0.5));
    }

    [Fact]
    public void Beyond_their_own_bound_histograms_of_neighbouring_layers_are_added_into_blocks_and_logged_once()
    {
        var exported = new List<MetricSnapshot>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
        using var model = nn.Sequential(Enumerable.Range(0, 12).Select(index => ($"{index}", (nn.Module<Tensor, Tensor>)nn.Linear(4, 4))).ToArray());
        var logger = new RecordingLogger();
        using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "otel-histogram-blocks", MeasureGradientHistogram = true, MaxPublishedHistogramLayers = 4 }, logger);
        using var input = torch.randn(3, 4);

        var report = TestModels.Step(model, monitor, input);
        meterProvider.ForceFlush();
        meterProvider.ForceFlush();

        var histogram = Points(exported, GradGuardMetrics.HistogramInstrument, "otel-histogram-blocks");
        Assert.Equal(new[] { "0..2", "3..5", "6..8", "9..11" }, histogram.Select(point => point.Tags[GradGuardMetrics.LayerAttribute]).Distinct());
        var firstBlock = report.WeightGradients.Take(3).ToList();
        double zerosInBlock = firstBlock.Sum(weight => weight.Histogram![0]) / (double)firstBlock.Sum(weight => weight.Elements);
        Assert.Equal(zerosInBlock, histogram.First(point => Equals(point.Tags[GradGuardMetrics.LayerAttribute], "0..2")).Value, 12);
        // The other instruments keep every layer: the histogram's bound is its own.
        Assert.Equal(12, Points(exported, GradGuardMetrics.MaxMagnitudeInstrument, "otel-histogram-blocks").Select(point => point.Tags[GradGuardMetrics.LayerAttribute]).Distinct().Count());
        var coarsened = Assert.Single(logger.Entries, entry => entry.EventId.Name == "LayerSeriesCoarsened");
        Assert.Equal((GradGuardMetrics.HistogramInstrument, 12, 4, "MaxPublishedHistogramLayers (4)"),
            ((string)coarsened.State["Instrument"]!, (int)coarsened.State["Layers"]!, (int)coarsened.State["Groups"]!, (string)coarsened.State["Maximum"]!));
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
