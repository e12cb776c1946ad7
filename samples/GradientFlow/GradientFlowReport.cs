using System.Reflection;
using System.Text.Json;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>
/// The <c>--report</c> page: one self-contained HTML file, Apache ECharts and the data inlined, that draws per
/// configuration a layer × step heatmap of log gradient norm, the first- and last-layer norms over the steps, and the
/// dead (ReLU) or saturated (sigmoid) fraction of every activation layer: the pictures the literature uses to explain
/// vanishing gradients.
/// </summary>
public static class GradientFlowReport
{
    private const string DataPlaceholder = "/*GRADGUARD_DATA*/";
    private const string ChartLibraryPlaceholder = "/*GRADGUARD_ECHARTS*/";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(string path, ExperimentSettings settings, IEnumerable<ExperimentResult> results)
    {
        var data = new ReportData(settings, results.Select(Describe).ToList());
        // The serializer escapes '<', so no layer name can close the script element that holds the data.
        string html = Resource("report.html")
            .Replace(ChartLibraryPlaceholder, Resource("echarts.min.js"), StringComparison.Ordinal)
            .Replace(DataPlaceholder, JsonSerializer.Serialize(data, Options), StringComparison.Ordinal);

        OutputFile.WriteAtomically(path, html);
    }

    private static ConfigurationData Describe(ExperimentResult result)
    {
        var history = result.History;
        var activationLayers = result.Last.Activations.Select(activation => activation.Layer).ToList();
        var kinds = result.Last.Activations.Select(activation => activation.Kind).Distinct().ToList();
        string measure = kinds switch
        {
            [ActivationKind.Rectifier] => "dead-unit fraction (ReLU)",
            [ActivationKind.Saturating] => "saturated fraction (sigmoid)",
            _ => "dead (ReLU) or saturated (sigmoid) fraction",
        };

        return new ConfigurationData(
            result.Configuration.Name,
            result.Configuration.Activation,
            result.Configuration.Init,
            result.Configuration.Residual,
            result.Configuration.Depth,
            history.Select(report => report.Step).ToList(),
            result.First.WeightGradients.Select(weight => weight.Layer).ToList(),
            history.Select(report => report.WeightGradients.Select(weight => Finite(weight.Norm)).ToList()).ToList(),
            history.Select(report => Finite(report.FirstToLastRatio)).ToList(),
            activationLayers,
            measure,
            history.Select(report => report.Activations.Select(AffectedFraction).ToList()).ToList(),
            result.Diagnoses.Select(diagnosis => diagnosis.Message).ToList());
    }

    /// <summary>The fraction of units that pass back (almost) no gradient: dead for rectifiers, saturated for sigmoid/tanh.</summary>
    private static double AffectedFraction(ActivationStatistics activation) =>
        activation.Kind == ActivationKind.Rectifier ? activation.DeadFraction : activation.SaturatedFraction;

    /// <summary>JSON has no NaN or infinity; the page shows a missing value instead.</summary>
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"GradientFlow.Report.{name}")
            ?? throw new InvalidOperationException($"The report resource {name} is missing from the GradientFlow assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record ReportData(ExperimentSettings Settings, IReadOnlyList<ConfigurationData> Configurations);

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
        IReadOnlyList<IReadOnlyList<double>> ActivationFractions,
        IReadOnlyList<string> Diagnoses);
}
