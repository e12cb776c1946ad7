using System.Text.Json;
using System.Text.Json.Serialization;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>
/// The <c>--json</c> file: per-layer weight-gradient norms after the first backward pass, input to output, and the
/// monitor's final report, the values its gauges showed when training ended (what a scraper or an OTLP receiver got).
/// </summary>
public sealed record FlowJson(IReadOnlyList<FlowJson.Configuration> Configs)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static FlowJson From(IEnumerable<ExperimentResult> results) => new(results.Select(result => new Configuration(
        result.Configuration.Name,
        result.Configuration.Activation,
        result.Configuration.Init,
        result.Configuration.Residual,
        result.Configuration.Depth,
        result.First.WeightGradients.Select((weight, index) => new Layer(index, weight.Layer, weight.Norm)).ToList(),
        new FinalReport(result.Last.Step, result.Last.TotalNorm, result.Last.FirstToLastRatio, result.Last.Parameters, result.Last.Activations, result.Last.UpdateRatios, result.Last.Loss))).ToList());

    public static FlowJson Read(string path) => JsonSerializer.Deserialize<FlowJson>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path} holds no gradient-flow document.");

    public void Write(string path) => OutputFile.WriteAtomically(path, JsonSerializer.Serialize(this, Options));

    public sealed record Configuration(string Name, string Activation, string Init, bool Residual, int Depth, IReadOnlyList<Layer> Layers, FinalReport Final);

    public sealed record FinalReport(long Step, double TotalNorm, double FirstToLastRatio, IReadOnlyList<ParameterGradient> Parameters, IReadOnlyList<ActivationStatistics> Activations, IReadOnlyList<UpdateRatio> UpdateRatios, double? Loss);

    public sealed record Layer(int Index, string Name, double GradNorm);
}
