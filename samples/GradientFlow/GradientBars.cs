using System.Globalization;
using System.Text;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>
/// Per-layer weight-gradient norms as bars on a log scale, one row per layer, input at the top: a vanishing
/// gradient reads as bars that shrink toward the input, an underflowed one as an empty bar marked "0".
/// </summary>
public static class GradientBars
{
    private const int BarWidth = 48;

    public static string Render(ExperimentResult result)
    {
        var weights = result.First.WeightGradients.ToList();
        var positive = weights.Select(weight => weight.Norm).Where(norm => norm > 0 && double.IsFinite(norm)).ToList();
        double top = positive.Count == 0 ? 0 : Math.Ceiling(Math.Log10(positive.Max()));
        double bottom = positive.Count == 0 ? -1 : Math.Min(Math.Floor(Math.Log10(positive.Min())), top - 1);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{result.Configuration.Name}: weight-gradient L2 norm after the first backward pass (log scale, 1e{bottom:0} .. 1e{top:0})");
        foreach (var weight in weights)
        {
            int filled = weight.Norm > 0 && double.IsFinite(weight.Norm)
                ? Math.Max(1, (int)Math.Round((Math.Log10(weight.Norm) - bottom) / (top - bottom) * BarWidth))
                : 0;
            text.AppendLine(CultureInfo.InvariantCulture, $"  {weight.Layer,-18} {new string('█', filled)}{new string('·', BarWidth - filled)} {weight.Norm:0.00e+00}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  first/last ratio {result.First.FirstToLastRatio:0.0e+00}; after {result.Last.Step} steps {result.Last.FirstToLastRatio:0.0e+00}");
        foreach (var diagnosis in result.Diagnoses)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  ! {diagnosis.Message}");
        }

        return text.ToString();
    }
}
