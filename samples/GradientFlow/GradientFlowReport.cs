using System.Reflection;
using System.Text.Json;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>
/// The <c>--report</c> page: one self-contained HTML file, Apache ECharts and the data inlined, that draws per
/// configuration a layer × step heatmap of log gradient norm, the first- and last-layer norms over the steps, and the
/// dead (ReLU) or saturated (sigmoid) fraction of every activation layer: the pictures the literature uses to explain
/// vanishing gradients. Below them, each layer's update ratio (‖Δw‖/‖w‖ of every optimizer step) and the loss, then
/// the weight gradients' distribution: one layer's magnitude histogram over the steps (any layer, chosen on the page),
/// and every layer's zero fraction and largest magnitude.
/// </summary>
public static class GradientFlowReport
{
    private const string DataPlaceholder = "/*GRADGUARD_DATA*/";
    private const string ChartLibraryPlaceholder = "/*GRADGUARD_ECHARTS*/";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(string path, ExperimentSettings settings, IEnumerable<ExperimentResult> results)
    {
        var data = new ReportData(settings, GradientHistogram.UpperBounds.Select(BoundLabel).ToList(), results.Select(Describe).ToList());
        // The serializer escapes '<', so no layer name can close the script element that holds the data.
        string html = Resource("report.html")
            .Replace(ChartLibraryPlaceholder, Resource("echarts.min.js"), StringComparison.Ordinal)
            .Replace(DataPlaceholder, JsonSerializer.Serialize(data, Options), StringComparison.Ordinal);

        OutputFile.WriteAtomically(path, html);
    }

    private static ConfigurationData Describe(ExperimentResult result)
    {
        var history = result.History;
        // Forward order as the steps ran it: a layer or site that appears only later goes after those seen before it.
        var layers = history.SelectMany(report => report.WeightGradients.Select(weight => weight.Layer)).Distinct().ToList();
        var sites = history.SelectMany(report => report.Activations.Select(site => site.Layer)).Distinct().ToList();
        var kinds = history.SelectMany(report => report.Activations.Select(site => site.Kind)).Distinct().ToList();
        string measure = kinds switch
        {
            [ActivationKind.Rectifier] => "dead-unit fraction (ReLU)",
            [ActivationKind.Saturating] => "saturated fraction (sigmoid)",
            _ => "dead (ReLU), saturated (sigmoid) or without-gradient fraction",
        };

        return new ConfigurationData(
            result.Configuration.Name,
            result.Configuration.Activation,
            result.Configuration.Init,
            result.Configuration.Residual,
            result.Configuration.Depth,
            history.Select(report => report.Step).ToList(),
            layers,
            history.Select(report => ByName(layers, report.WeightGradients, weight => weight.Layer, weight => Finite(weight.Norm))).ToList(),
            history.Select(report => Finite(report.FirstToLastRatio)).ToList(),
            sites,
            measure,
            history.Select(report => ByName(sites, report.Activations, site => site.Layer, AffectedFraction)).ToList(),
            history.Select(report => ByName(layers, report.UpdateRatios, ratio => ratio.Layer, ratio => Finite(ratio.Ratio))).ToList(),
            history.Select(report => report.Loss is { } loss ? Finite(loss) : null).ToList(),
            history.Select(report => ByName(layers, report.WeightGradients, weight => weight.Layer, weight => weight.ZeroFraction)).ToList(),
            history.Select(report => ByName(layers, report.WeightGradients, weight => weight.Layer, weight => weight.MaxMagnitude is { } max ? Finite(max) : null)).ToList(),
            history.Select(report => ByName(layers, report.WeightGradients, weight => weight.Layer, weight => weight.Histogram)).ToList(),
            result.Diagnoses.Select(diagnosis => diagnosis.Message).ToList());
    }

    /// <summary>One value per name, in the order of <paramref name="names"/>; null where the step had none.</summary>
    private static List<TValue?> ByName<T, TValue>(IReadOnlyList<string> names, IEnumerable<T> items, Func<T, string> name, Func<T, TValue?> value)
    {
        var byName = items.GroupBy(name).ToDictionary(group => group.Key, group => value(group.First()));
        return names.Select(entry => byName.GetValueOrDefault(entry)).ToList();
    }

    /// <summary>The fraction of units that pass back (almost) no gradient: dead for rectifiers, saturated for sigmoid/tanh, without gradient where no activation was seen.</summary>
    private static double? AffectedFraction(ActivationStatistics activation) => activation.Kind switch
    {
        ActivationKind.Rectifier => activation.DeadFraction,
        ActivationKind.Saturating => activation.SaturatedFraction,
        _ => activation.WithoutGradientFraction,
    };

    /// <summary>A histogram row's label: its inclusive upper bound as a power of two.</summary>
    private static string BoundLabel(double bound) => bound switch
    {
        0 => "0",
        double.PositiveInfinity => $"> 2^{GradientHistogram.LargestExponent}",
        _ => $"≤ 2^{Math.ILogB(bound)}",
    };

    /// <summary>JSON has no NaN or infinity; the page shows a missing value instead.</summary>
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"GradientFlow.Report.{name}")
            ?? throw new InvalidOperationException($"The report resource {name} is missing from the GradientFlow assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record ReportData(ExperimentSettings Settings, IReadOnlyList<string> HistogramBins, IReadOnlyList<ConfigurationData> Configurations);

    private sealed record ConfigurationData(
        string Name,
        string Activation,
        string Init,
        bool Residual,
        int Depth,
        IReadOnlyList<long> Steps,
        IReadOnlyList<string> Layers,
        IReadOnlyList<IReadOnlyList<double?>> Norms,
        IReadOnlyList<double?> FirstToLast,
        IReadOnlyList<string> ActivationLayers,
        string ActivationMeasure,
        IReadOnlyList<IReadOnlyList<double?>> ActivationFractions,
        IReadOnlyList<IReadOnlyList<double?>> UpdateRatios,
        IReadOnlyList<double?> Losses,
        IReadOnlyList<IReadOnlyList<double?>> ZeroFractions,
        IReadOnlyList<IReadOnlyList<double?>> MaxMagnitudes,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<long>?>> Histograms,
        IReadOnlyList<string> Diagnoses);
}
