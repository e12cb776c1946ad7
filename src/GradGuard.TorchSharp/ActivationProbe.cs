using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// A forward hook on one activation module. It reduces the activation to a scalar at once, because
/// Sequential disposes each intermediate output as soon as the next module has consumed it, and keeps the
/// scalar on the device until the next collection.
/// </summary>
internal sealed class ActivationProbe : IDisposable
{
    private readonly ObservedActivation activation;
    private readonly Func<bool> isArmed;
    private readonly GradientMonitorOptions options;
    private readonly nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover hook;
    private Tensor? pending;
    private long pendingDenominator;

    public ActivationProbe(ObservedActivation activation, GradientMonitorOptions options, Func<bool> isArmed)
    {
        this.activation = activation;
        this.options = options;
        this.isArmed = isArmed;
        hook = activation.Module.register_forward_hook(Observe);
    }

    public ObservedActivation Activation => activation;

    /// <summary>
    /// Takes the statistic measured since the last collection: the dead-unit count with the number of units
    /// (rectifiers), or the saturated-element count with the number of elements (saturating activations).
    /// The caller owns the returned tensor.
    /// </summary>
    public (Tensor Count, long Denominator)? Take()
    {
        if (pending is null)
        {
            return null;
        }

        var taken = (pending, pendingDenominator);
        pending = null;
        return taken;
    }

    public void Dispose()
    {
        hook.remove();
        pending?.Dispose();
        pending = null;
    }

    private Tensor Observe(nn.Module<Tensor, Tensor> module, Tensor input, Tensor output)
    {
        // Evaluation passes run under no_grad; only the training forward pass explains the next gradients.
        if (!isArmed() || !torch.is_grad_enabled())
        {
            return Unchanged;
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor count;
        long denominator;
        if (activation.Kind == ActivationKind.Rectifier)
        {
            (count, denominator) = DeadUnits(output);
        }
        else
        {
            // A full count_nonzero is several times faster on the CPU than summing the boolean mask.
            count = input.abs().gt(options.SaturationThreshold).count_nonzero();
            denominator = input.numel();
        }

        pending?.Dispose();
        pending = count.DetachFromDisposeScope();
        pendingDenominator = denominator;
        return Unchanged;
    }

    /// <summary>TorchSharp keeps a module's output when a forward hook returns null.</summary>
    private static Tensor Unchanged => null!;

    private (Tensor Count, long Units) DeadUnits(Tensor output)
    {
        if (output.dim() < 2)
        {
            return (output.eq(0).sum(), output.numel());
        }

        long unitDimension = options.UnitDimension < 0 ? output.dim() - 1 : options.UnitDimension;
        long[] otherDimensions = Enumerable.Range(0, (int)output.dim()).Where(dimension => dimension != unitDimension).Select(dimension => (long)dimension).ToArray();
        long units = output.shape[unitDimension];
        if (output.numel() == 0)
        {
            // amax has nothing to reduce over; with no example in the batch no unit was seen alive.
            return (torch.tensor(units, device: output.device), units);
        }

        // ReLU and ReLU6 never output a negative value, so a unit is zero for the whole batch exactly when its
        // maximum is; count_nonzero over several dimensions is tens of times slower on the CPU (23 ms against
        // 0.6 ms for a 64×64×32×32 convolution output).
        Tensor maximumPerUnit = output.amax(otherDimensions);
        return (maximumPerUnit.eq(0).sum(), units);
    }
}
