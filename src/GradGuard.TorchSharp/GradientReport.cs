namespace GradGuard.TorchSharp;

/// <summary>Everything one collection measured, copied to the host in a single transfer.</summary>
/// <param name="Step">1-based number of the <see cref="GradientMonitor.Collect"/> call that produced it.</param>
/// <param name="Parameters">Gradient of every parameter that had one, ordered from input to output.</param>
/// <param name="Activations">Dead and saturated units of every observed activation, ordered from input to output.</param>
/// <param name="TotalNorm">L2 norm over all gradients, as the optimizer sees them.</param>
/// <param name="PreClipTotalNorm">Total norm before <see cref="GradientMonitor.ClipGradients"/> rescaled the gradients; null without clipping.</param>
/// <param name="FirstToLastRatio">First weight layer's gradient norm divided by the last one's; NaN with fewer than two weight layers.</param>
/// <param name="Diagnoses">Gradient problems that started with this collection (each is reported once per episode).</param>
/// <param name="SkippedParameters">Parameters without a gradient (frozen, or unused by the last forward pass).</param>
public sealed record GradientReport(
    long Step,
    IReadOnlyList<ParameterGradient> Parameters,
    IReadOnlyList<ActivationStatistics> Activations,
    double TotalNorm,
    double? PreClipTotalNorm,
    double FirstToLastRatio,
    IReadOnlyList<GradientDiagnosis> Diagnoses,
    IReadOnlyList<string> SkippedParameters)
{
    /// <summary>The weight gradients of the layers that carry weight matrices or kernels, from input to output.</summary>
    public IEnumerable<ParameterGradient> WeightGradients => Parameters.Where(parameter => parameter.IsWeightMatrix);
}

/// <summary>The gradient of one parameter.</summary>
/// <param name="LayerIndex">Position of the owning layer among the model's layers, input first.</param>
/// <param name="Layer">Path of the owning module, as <c>named_modules()</c> spells it.</param>
/// <param name="Parameter">Name of the parameter in its module (<c>weight</c>, <c>bias</c>, ...).</param>
/// <param name="Norm">L2 norm of the gradient.</param>
/// <param name="NonFiniteCount">NaN and infinite elements in the gradient.</param>
/// <param name="IsWeightMatrix">True for a weight with two or more dimensions (Linear, Conv, Embedding).</param>
public sealed record ParameterGradient(int LayerIndex, string Layer, string Parameter, double Norm, long NonFiniteCount, bool IsWeightMatrix);

/// <summary>How the units of one activation behaved over the batch of the last training forward pass.</summary>
/// <param name="Layer">Path of the activation module, or of the weight layer whose gradient showed its units.</param>
/// <param name="Kind">Rectifier (dead units are counted) or saturating (saturation is measured).</param>
/// <param name="Source">Forward hook on an activation module, or inferred from a weight gradient for activations applied functionally.</param>
/// <param name="Units">Units (features or channels) in the layer.</param>
/// <param name="DeadUnits">Units that were zero for every example in the batch (rectifiers), or received exactly zero gradient (inferred).</param>
/// <param name="SaturatedFraction">Fraction of pre-activations beyond the saturation threshold (saturating kinds); 0 otherwise.</param>
public sealed record ActivationStatistics(string Layer, ActivationKind Kind, ActivationSource Source, long Units, long DeadUnits, double SaturatedFraction)
{
    /// <summary>Dead units as a fraction of all units.</summary>
    public double DeadFraction => Units == 0 ? 0 : (double)DeadUnits / Units;
}

/// <summary>What an activation does to gradients when it misbehaves.</summary>
public enum ActivationKind
{
    /// <summary>ReLU and ReLU6: a unit whose output is zero for the whole batch passes back no gradient.</summary>
    Rectifier,

    /// <summary>Sigmoid and Tanh: pre-activations in the flat tails pass back almost no gradient.</summary>
    Saturating,
}

/// <summary>Where an activation statistic came from.</summary>
public enum ActivationSource
{
    /// <summary>Measured on the activation module's output (or input) by a forward hook.</summary>
    ForwardHook,

    /// <summary>Inferred from the weight gradient of the layer before a functionally applied activation: a dead unit leaves its row exactly zero.</summary>
    WeightGradient,
}

/// <summary>A gradient problem that started at a collection.</summary>
/// <param name="Kind">Which problem.</param>
/// <param name="Layer">The layer concerned, or null for a model-wide problem.</param>
/// <param name="Value">The measurement that crossed the threshold.</param>
/// <param name="Threshold">The threshold it crossed.</param>
/// <param name="Message">A sentence for a person: what was seen and what usually fixes it.</param>
public sealed record GradientDiagnosis(GradientProblem Kind, string? Layer, double Value, double Threshold, string Message);

/// <summary>The gradient problems GradGuard diagnoses.</summary>
public enum GradientProblem
{
    /// <summary>The gradient reaching the first layers is orders of magnitude smaller than at the last.</summary>
    VanishingGradients,

    /// <summary>The gradient is very large, much larger at the first layers, or growing collection after collection.</summary>
    ExplodingGradients,

    /// <summary>Gradients contain NaN or infinite values.</summary>
    NonFiniteGradients,

    /// <summary>Most units of a ReLU-family layer output zero for the whole batch.</summary>
    DyingRelu,

    /// <summary>Most pre-activations of a sigmoid/tanh layer lie in the flat tails.</summary>
    SaturatedActivations,
}
