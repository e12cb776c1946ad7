using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// The loss of the collected steps: read in the collection's one transfer, diagnosed at once when NaN or infinite, and
/// compared with a running window of the finite losses before it for spikes, as llm-foundry's KillLossSpike (a loss
/// above a multiple of the window's mean) or a z-score against the window do. A spike stays out of the window, so a
/// run of spikes is judged against the losses before it and reported as one episode.
/// </summary>
internal sealed class LossTracker
{
    private readonly GradientMonitorOptions options;
    private readonly Queue<double> window = new();

    public LossTracker(GradientMonitorOptions options) => this.options = options;

    /// <summary>Queues the loss for the collection's transfer and returns its slot. The loss must hold one value.</summary>
    public static int Queue(Tensor loss, DeviceStatistics statistics)
    {
        using var noGrad = torch.no_grad();
        return statistics.Add(loss.detach().reshape(Array.Empty<long>()));
    }

    /// <summary>The problems one loss shows: non-finite, or a spike against the window.</summary>
    public IEnumerable<GradientDiagnosis> Diagnose(double loss)
    {
        if (!double.IsFinite(loss))
        {
            yield return new GradientDiagnosis(GradientProblem.NonFiniteLoss, null, loss, 0,
                $"non-finite loss: the loss is {loss.ToString(CultureInfo.InvariantCulture)}. Skip this step's optimizer update; " +
                "look for log(0), division by zero or overflow in the loss, or lower the learning rate.");
            yield break;
        }

        if (Spike(loss) is { } spike)
        {
            yield return spike;
            yield break;
        }

        window.Enqueue(loss);
        if (window.Count > options.LossSpikeWindow)
        {
            window.Dequeue();
        }
    }

    private GradientDiagnosis? Spike(double loss)
    {
        if (window.Count < options.LossSpikeWindow)
        {
            return null;
        }

        double mean = window.Average();
        double deviation = Math.Sqrt(window.Sum(value => (value - mean) * (value - mean)) / window.Count);
        string against = $"the mean of the last {window.Count} collected losses, {Format(mean)}";
        if (options.LossSpikeRatio is { } ratio && loss > ratio * mean && mean > 0)
        {
            return new GradientDiagnosis(GradientProblem.LossSpike, null, loss / mean, ratio,
                $"loss spike: the loss is {Format(loss)}, {Format(loss / mean)}x {against}. " +
                "Lower the learning rate, clip gradients, or check this batch's data.");
        }

        if (options.LossSpikeZScore is { } threshold && deviation > 0 && (loss - mean) / deviation > threshold)
        {
            double z = (loss - mean) / deviation;
            return new GradientDiagnosis(GradientProblem.LossSpike, null, z, threshold,
                $"loss spike: the loss is {Format(loss)}, {Format(z)} standard deviations above {against}. " +
                "Lower the learning rate, clip gradients, or check this batch's data.");
        }

        return null;
    }

    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
