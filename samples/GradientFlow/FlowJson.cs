using System.Text.Json;
using System.Text.Json.Serialization;

namespace GradientFlow;

/// <summary>The <c>--json</c> file: per-layer weight-gradient norms after the first backward pass, input to output.</summary>
public sealed record FlowJson(IReadOnlyList<FlowJson.Configuration> Configs)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static FlowJson From(IEnumerable<ExperimentResult> results) => new(results.Select(result => new Configuration(
        result.Configuration.Name,
        result.Configuration.Activation,
        result.Configuration.Init,
        result.Configuration.Residual,
        result.Configuration.Depth,
        result.First.WeightGradients.Select((weight, index) => new Layer(index, weight.Layer, weight.Norm)).ToList())).ToList());

    public static FlowJson Read(string path) => JsonSerializer.Deserialize<FlowJson>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path} holds no gradient-flow document.");

    public void Write(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(this, Options));
    }

    public sealed record Configuration(string Name, string Activation, string Init, bool Residual, int Depth, IReadOnlyList<Layer> Layers);

    public sealed record Layer(int Index, string Name, double GradNorm);
}
