using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.Benchmarks.Monitor;

/// <summary>
/// The hand-written alternative GradGuard is compared with: a forward hook per activation that copies its output
/// to managed memory and counts dead units there, and a norm read back with <c>.item()</c> per parameter.
/// </summary>
internal sealed class NaiveGradientWatch : IDisposable
{
    private readonly List<Parameter> parameters;
    private readonly List<Action> hookRemovals = new();

    public NaiveGradientWatch(nn.Module model)
    {
        parameters = model.parameters().ToList();
        foreach (var module in model.modules().OfType<ReLU>())
        {
            var hook = module.register_forward_hook((_, _, output) =>
            {
                CountDeadUnits(output);
                return null!;
            });
            hookRemovals.Add(hook.remove);
        }
    }

    /// <summary>Dead units of the last ReLU that fired, kept so the work cannot be optimised away.</summary>
    public long LastDeadUnits { get; private set; }

    /// <summary>Sum of the gradient norms, kept for the same reason.</summary>
    public double LastNormSum { get; private set; }

    public void Collect()
    {
        double sum = 0;
        foreach (var parameter in parameters)
        {
            if (parameter.grad is { } gradient)
            {
                using var norm = gradient.norm();
                sum += norm.item<float>();
            }
        }

        LastNormSum = sum;
    }

    public void Dispose() => hookRemovals.ForEach(remove => remove());

    /// <summary>A unit (dimension 1: feature or channel) is dead when it is zero for every example and position.</summary>
    private void CountDeadUnits(Tensor output)
    {
        long examples = output.shape[0];
        long units = output.shape[1];
        float[] values = output.data<float>().ToArray();
        long positions = values.Length / (examples * units);
        var alive = new bool[units];
        for (long index = 0; index < values.Length; index++)
        {
            alive[index / positions % units] |= values[index] != 0;
        }

        LastDeadUnits = alive.Count(isAlive => !isAlive);
    }
}
