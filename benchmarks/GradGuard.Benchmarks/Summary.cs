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

    public void Print(TextWriter writer)
    {
        foreach (var (name, value) in figures)
        {
            writer.WriteLine($"{name}={value}");
        }
    }
}
