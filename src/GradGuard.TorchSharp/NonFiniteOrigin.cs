using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Where a NaN or infinity was born. On the armed passes the recorder's hooks hand every module call to this record,
/// which queues, on the device, the sum of the call's input and output: a NaN or infinity makes the sum non-finite, and
/// so does a sum beyond the dtype's range, which at that size is where an infinity is about to appear. (A float64
/// accumulation would rule that out, but converting every element cost the benchmark ConvNet 42 ms a step instead of
/// 1 ms.) A tensor handed on from one call to the next is summed once. The sums ride the collection's one transfer, and
/// only when the step's gradients or loss came back non-finite does the collection read them: the origin is the first
/// call to return, in forward order, whose output was non-finite while its input was finite. Calls are recorded as they
/// return, so a leaf that made the NaN is found before the block that holds it, and a block whose own code made it
/// (children finite, its output not) is found when no child was.
/// </summary>
internal sealed class NonFiniteOrigin : IDisposable
{
    /// <summary>The origin when the first calls' inputs were already non-finite.</summary>
    public const string ModelInput = "(input)";

    private readonly ForwardPassRecorder recorder;
    private readonly List<Tensor> sums = new();
    private readonly Dictionary<Tensor, int> summed = new(ReferenceEqualityComparer.Instance);
    private readonly List<(string Site, int Input, int Output)> calls = new();
    private int eventsSeen;

    public NonFiniteOrigin(ForwardPassRecorder recorder)
    {
        this.recorder = recorder;
        recorder.CallReturned = Record;
    }

    /// <summary>Hands the pass's sums to the collection's transfer and starts afresh; returns how to find the origin in the host copy.</summary>
    public Func<HostStatistics, string?> Queue(DeviceStatistics statistics)
    {
        var slots = sums.Select(statistics.Add).ToList();
        sums.Clear();
        var recorded = calls.Select(call => (call.Site, Input: slots[call.Input], Output: slots[call.Output])).ToList();
        Forget();
        return values =>
        {
            var born = recorded.FirstOrDefault(call => !double.IsFinite(values[call.Output]) && double.IsFinite(values[call.Input]));
            if (born.Site is not null)
            {
                return born.Site;
            }

            return recorded.Any(call => !double.IsFinite(values[call.Output])) ? ModelInput : null;
        };
    }

    /// <summary>The non-finite diagnoses, saying where the NaN was born and that the step should be skipped.</summary>
    public static IReadOnlyList<GradientDiagnosis> Explain(IReadOnlyList<GradientDiagnosis> diagnoses, string? origin) =>
        origin is null
            ? diagnoses
            : diagnoses.Select(diagnosis => diagnosis.Kind is GradientProblem.NonFiniteGradients or GradientProblem.NonFiniteLoss
                ? diagnosis with { Message = $"{diagnosis.Message} {Where(origin)} Skip this step (GradientReport.SkipStep)." }
                : diagnosis).ToList();

    public void Dispose()
    {
        recorder.CallReturned = null;
        DisposeSums();
    }

    private static string Where(string origin) => origin == ModelInput
        ? "The model's input was already non-finite: check the batch."
        : $"It was born in '{origin}': the first module, in forward order, whose output was non-finite while its input was finite.";

    private void Record(DeclaredModule module, int call, Tensor input, Tensor output)
    {
        if (!input.is_floating_point() || !output.is_floating_point())
        {
            return;
        }

        int events = recorder.Pass.Events.Count;
        if (events < eventsSeen)
        {
            // The recorder started another pass: the origin is looked for in the last one, as everything else is.
            DisposeSums();
        }

        eventsSeen = events;
        calls.Add((call == 1 ? module.ToString() : $"{module}#{call}", SumOf(input), SumOf(output)));
    }

    private int SumOf(Tensor tensor)
    {
        if (!summed.TryGetValue(tensor, out int index))
        {
            using var noGrad = torch.no_grad();
            index = sums.Count;
            sums.Add(tensor.sum().DetachFromDisposeScope());
            summed[tensor] = index;
        }

        return index;
    }

    private void DisposeSums()
    {
        sums.ForEach(sum => sum.Dispose());
        sums.Clear();
        Forget();
    }

    private void Forget()
    {
        summed.Clear();
        calls.Clear();
        eventsSeen = 0;
    }
}
