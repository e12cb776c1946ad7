using System.Text.Json;
using System.Text.RegularExpressions;

namespace GradGuard.Observability.Tests;

/// <summary>The Grafana dashboard in samples/dashboards, read as Grafana would read it.</summary>
public sealed partial class Dashboard
{
    private Dashboard(JsonElement root)
    {
        Root = root;
    }

    public JsonElement Root { get; }

    public IEnumerable<JsonElement> Panels => Root.GetProperty("panels").EnumerateArray();

    /// <summary>Every panel's PromQL, titled by its panel.</summary>
    public IEnumerable<(string Panel, string Expression)> Queries => Panels.SelectMany(panel => panel.GetProperty("targets").EnumerateArray()
        .Select(target => (panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!)));

    /// <summary>Each <c>label_values(selector, label)</c> template variable: its name, the series selector it reads its choices from, and the label.</summary>
    public IEnumerable<(string Name, string Selector, string Label)> VariableSources => Root.GetProperty("templating").GetProperty("list").EnumerateArray()
        .Where(variable => variable.GetProperty("type").GetString() == "query")
        .Select(variable => (Name: variable.GetProperty("name").GetString()!, Match: LabelValues().Match(variable.GetProperty("definition").GetString()!)))
        .Select(entry => entry.Match.Success
            ? (entry.Name, entry.Match.Groups["selector"].Value, entry.Match.Groups["label"].Value)
            : throw new InvalidDataException($"Unexpected query '{entry.Match.Value}' for variable {entry.Name}."));

    public static Dashboard Load() =>
        new(JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.DashboardsDirectory, "gradguard-dashboard.json"))).RootElement);

    /// <summary>A query as Grafana sends it with "All" chosen in every variable (a run without service.instance.id matches too).</summary>
    public static string WithAllSelected(string expression) => expression
        .Replace("$job", ".+", StringComparison.Ordinal)
        .Replace("$run", ".*", StringComparison.Ordinal)
        .Replace("$instance", ".+", StringComparison.Ordinal)
        .Replace("$model", ".+", StringComparison.Ordinal)
        .Replace("$layer", ".+", StringComparison.Ordinal);

    /// <summary>The GradGuard metric names a query reads: those that open a series selector (label names never do).</summary>
    public static IEnumerable<string> MetricNames(string expression) => GradGuardMetricName().Matches(expression).Select(match => match.Value).Distinct();

    public JsonElement Panel(string title) => Panels.Single(panel => panel.GetProperty("title").GetString() == title);

    [GeneratedRegex(@"\bgradguard_[a-z_]+(?=\s*[{\[])")]
    private static partial Regex GradGuardMetricName();

    [GeneratedRegex(@"^label_values\((?<selector>[a-z_]+(\{[^}]*\})?),\s*(?<label>[a-z_]+)\)$")]
    private static partial Regex LabelValues();
}
