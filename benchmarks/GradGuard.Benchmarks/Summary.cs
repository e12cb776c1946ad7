using System.Globalization;

namespace GradGuard.Benchmarks;

/// <summary>The figures of a run, printed last as <c>name=value</c> lines so scripts can read them with a split on '='.</summary>
internal sealed class Summary
{
    private readonly List<(string Name, string Value)> figures = new();

    public void Add(string name, double value, string format = "F4") =>
        figures.Add((name, value.ToString(format, CultureInfo.InvariantCulture)));

    public void Add(string name, long value) =>
        figures.Add((name, value.ToString(CultureInfo.InvariantCulture)));

    public void Add(string name, bool value) =>
        figures.Add((name, value ? "true" : "false"));

    public void Add(string name, string value) => figures.Add((name, value));

    /// <summary>
    /// Ratios of paired timings (one a round): their median as <paramref name="name"/>, and a confidence interval for
    /// it as <c>_ci_low</c>, <c>_ci_high</c> and the interval's <c>_ci_coverage</c>.
    /// </summary>
    public void AddRatio(string name, IEnumerable<double> ratios)
    {
        var values = ratios.ToList();
        var interval = Statistics.MedianConfidenceInterval(values);
        Add(name, Statistics.Median(values));
        Add($"{name}_ci_low", interval.Low);
        Add($"{name}_ci_high", interval.High);
        Add($"{name}_ci_coverage", interval.Coverage, "F3");
    }

    public void Print(TextWriter writer)
    {
        foreach (var (name, value) in figures)
        {
            writer.WriteLine($"{name}={value}");
        }
    }
}
