using System.Globalization;
using System.Text;
using GradGuard.TorchSharp;

namespace GradientFlow;

/// <summary>The run's answer in one table: per configuration, how much gradient reaches the first layer, and what the monitor diagnosed.</summary>
public static class SummaryTable
{
    public static string Render(IEnumerable<ExperimentResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("first/last: the first weight layer's gradient norm over the last one's (healthy near 1, vanishing below 1e-3).");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"configuration",-26} {"first/last, step 1",20} {"last step",12} {"first-layer norm",18}  diagnosed");
        foreach (var result in results)
        {
            var diagnosed = result.Diagnoses.Select(diagnosis => diagnosis.Rule is null ? Words(diagnosis.Kind) : $"{Words(diagnosis.Kind)} ({diagnosis.Rule})").Distinct().ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{result.Configuration.Name,-26} {GradientBars.Norm(result.First.FirstToLastRatio),20} {GradientBars.Norm(result.Last.FirstToLastRatio),12} {GradientBars.Norm(result.First.WeightGradients.First().Norm),18}  {(diagnosed.Count == 0 ? "-" : string.Join(", ", diagnosed))}");
        }

        return text.ToString();
    }

    private static string Words(GradientProblem problem) => problem switch
    {
        GradientProblem.VanishingGradients => "vanishing gradients",
        GradientProblem.ExplodingGradients => "exploding gradients",
        GradientProblem.NonFiniteGradients => "NaN/Inf gradients",
        GradientProblem.DyingRelu => "dying ReLU",
        GradientProblem.SaturatedActivations => "saturated activations",
        GradientProblem.UnitsWithoutGradient => "units without gradient",
        GradientProblem.UpdatesTooSmall => "updates too small",
        GradientProblem.UpdatesTooLarge => "updates too large",
        GradientProblem.NonFiniteLoss => "NaN/Inf loss",
        GradientProblem.LossSpike => "loss spike",
        _ => problem.ToString(),
    };
}
