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

    /// <summary>The metric each <c>label_values(metric, label)</c> template variable reads its choices from.</summary>
    public IEnumerable<(string Metric, string Label)> VariableSources => Root.GetProperty("templating").GetProperty("list").EnumerateArray()
        .Where(variable => variable.GetProperty("type").GetString() == "query")
        .Select(variable => LabelValues().Match(variable.GetProperty("definition").GetString()!))
        .Select(match => match.Success ? (match.Groups["metric"].Value, match.Groups["label"].Value) : throw new InvalidDataException($"Unexpected variable query '{match.Value}'."));

    public static Dashboard Load() =>
        new(JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.DashboardsDirectory, "gradguard-dashboard.json"))).RootElement);

    /// <summary>A query as Grafana sends it with every model selected (the variable's "All" value).</summary>
    public static string WithAllModels(string expression) => expression.Replace("$model", ".+", StringComparison.Ordinal);

    /// <summary>The GradGuard metric names a query reads: those that open a series selector (label names never do).</summary>
    public static IEnumerable<string> MetricNames(string expression) => GradGuardMetricName().Matches(expression).Select(match => match.Value).Distinct();

    public JsonElement Panel(string title) => Panels.Single(panel => panel.GetProperty("title").GetString() == title);

    [GeneratedRegex(@"\bgradguard_[a-z_]+(?=\s*[{\[])")]
    private static partial Regex GradGuardMetricName();

    [GeneratedRegex(@"^label_values\((?<metric>[a-z_]+),\s*(?<label>[a-z_]+)\)$")]
    private static partial Regex LabelValues();
}
