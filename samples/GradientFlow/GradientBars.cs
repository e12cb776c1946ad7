using System.Globalization;
using System.Text;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>
/// Per-layer weight-gradient norms as bars on a log scale, one row per layer, input at the top: a vanishing
/// gradient reads as bars that shrink toward the input, an underflowed one as an empty bar marked "0". Deep networks
/// show evenly spaced layers, first and last included, so that every configuration fits on a screen.
/// </summary>
public static class GradientBars
{
    /// <summary>The most layers one configuration shows; the <c>--json</c> file and the report have them all.</summary>
    public const int MaxRows = 12;

    private const int BarWidth = 48;

    public static string Render(ExperimentResult result)
    {
        var weights = result.First.WeightGradients.ToList();
        var positive = weights.Select(weight => weight.Norm).Where(norm => norm > 0 && double.IsFinite(norm)).ToList();
        double top = positive.Count == 0 ? 0 : Math.Ceiling(Math.Log10(positive.Max()));
        double bottom = positive.Count == 0 ? -1 : Math.Min(Math.Floor(Math.Log10(positive.Min())), top - 1);
        var shown = Shown(weights.Count);

        var text = new StringBuilder();
        string layers = shown.Count == weights.Count ? $"{weights.Count} layers" : $"{shown.Count} of {weights.Count} layers";
        text.AppendLine(CultureInfo.InvariantCulture, $"{result.Configuration.Name}: weight-gradient L2 norm after the first backward pass, {layers} (log scale, 1e{(int)bottom} .. 1e{(int)top})");
        foreach (var weight in shown.Select(index => weights[index]))
        {
            int filled = weight.Norm > 0 && double.IsFinite(weight.Norm)
                ? Math.Max(1, (int)Math.Round((Math.Log10(weight.Norm) - bottom) / (top - bottom) * BarWidth))
                : 0;
            text.AppendLine(CultureInfo.InvariantCulture, $"  {weight.Layer,-18} {new string('█', filled)}{new string('·', BarWidth - filled)} {Norm(weight.Norm)}");
        }

        foreach (var diagnosis in result.Diagnoses)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  ! {diagnosis.Message}");
        }

        return text.ToString();
    }

    /// <summary>A norm as the bars and the summary print it: an underflowed 0 stays a plain 0.</summary>
    public static string Norm(double value) => value == 0 ? "0" : value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    /// <summary>All layers, or <see cref="MaxRows"/> of them evenly spaced from the first to the last.</summary>
    private static List<int> Shown(int layers) =>
        layers <= MaxRows
            ? Enumerable.Range(0, layers).ToList()
            : Enumerable.Range(0, MaxRows).Select(row => (int)Math.Round(row * (layers - 1) / (double)(MaxRows - 1))).ToList();
}
