namespace GradGuard.TorchSharp;

/// <summary>What one collection measured: every gradient, the activation sites of the last training forward pass, and the problems they show.</summary>
/// <param name="Step">Number of the <see cref="GradientMonitor.Collect"/> call that produced it: the training step, when <c>Collect</c> is called once a step.</param>
/// <param name="Parameters">Gradient of every parameter that had one, in the order the forward pass ran their layers (layers that did not run last).</param>
/// <param name="Activations">Every activation site of the pass (each call of an activation, module or functional), in forward order.</param>
/// <param name="TotalNorm">L2 norm over all gradients, as the optimizer sees them.</param>
/// <param name="PreClipTotalNorm">Total norm before <see cref="GradientMonitor.ClipGradients"/> rescaled the gradients; null without clipping.</param>
/// <param name="FirstToLastRatio">First weight layer's gradient norm divided by the last one's, in forward order; NaN with fewer than two weight layers.</param>
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
    /// <summary>
    /// True when some weight layer ran without its hooks firing (called through <c>forward()</c> instead of
    /// <c>call()</c>), so its place among the layers, and with it the first/last ratio and the per-layer decay, was
    /// inferred from declaration order rather than seen.
    /// </summary>
    public bool OrderInferred { get; init; }

    /// <summary>The step of the collection before this one, null for the first: what changed since, changed in steps <c>PreviousStep + 1</c> to <see cref="Step"/>.</summary>
    public long? PreviousStep { get; init; }

    /// <summary>The cadence this step was collected at: every this many steps (<see cref="GradientMonitor.Cost"/> says why).</summary>
    public int CollectEvery { get; init; } = 1;

    /// <summary>Modules that own parameters and did not run in the pass: never called, or left out by this step's path.</summary>
    public IReadOnlyList<string> UnusedLayers { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Modules that own parameters and got gradients, but whose hooks never fired: called through <c>forward()</c>
    /// (which GG0006 finds at compile time), or without a <c>call()</c> at all. They are placed by declaration order.
    /// </summary>
    public IReadOnlyList<string> LayersNotSeen { get; init; } = Array.Empty<string>();

    /// <summary>
    /// ‖Δw‖/‖w‖ of every weight layer for the optimizer step taken after the previous collection, in forward order; empty
    /// on the first collection and when no step changed any weight since (docs/monitor.md, "Update ratio").
    /// </summary>
    public IReadOnlyList<UpdateRatio> UpdateRatios { get; init; } = Array.Empty<UpdateRatio>();

    /// <summary>The loss passed to <see cref="GradientMonitor.Collect"/>, or null when none was.</summary>
    public double? Loss { get; init; }

    /// <summary>
    /// When gradients or the loss are non-finite: the module call (path, <c>path#k</c> for its k-th call) where the NaN or
    /// infinity was born, the first in forward order whose output was non-finite while its input was finite;
    /// <c>(input)</c> when the batch itself was; null when healthy, or when <see cref="GradientMonitorOptions.LocateNonFinite"/> is off.
    /// </summary>
    public string? NonFiniteOrigin { get; init; }

    /// <summary>True when a gradient or the loss is NaN or infinite: skip <c>optimizer.step()</c>, which would spread it to the weights.</summary>
    public bool SkipStep { get; init; }

    /// <summary>The weight gradients of the layers that carry weight matrices or kernels and ran in the pass, in forward order.</summary>
    public IEnumerable<ParameterGradient> WeightGradients => Parameters.Where(parameter => parameter.IsWeightMatrix && parameter.Placement != LayerPlacement.Unused);

    /// <summary>The first weight layer's gradient norm, which the vanishing diagnosis also requires to be small; NaN without weight layers.</summary>
    public double FirstLayerNorm => WeightGradients.Select(weight => weight.Norm).DefaultIfEmpty(double.NaN).First();

    /// <summary>
    /// The largest factor by which the weight-gradient norm shrinks from a weight layer to the one before it (toward the
    /// input), over layers with finite norms: the vanishing diagnosis's per-layer test. NaN with fewer than two.
    /// </summary>
    public double LargestLayerDecay
    {
        get
        {
            var norms = WeightGradients.Select(weight => weight.Norm).Where(double.IsFinite).ToList();
            return norms.Count < 2 ? double.NaN : norms.Zip(norms.Skip(1), (earlier, later) => later / earlier).Where(decay => !double.IsNaN(decay)).DefaultIfEmpty(double.NaN).Max();
        }
    }
}

/// <summary>How much one optimizer step moved a weight layer: ‖Δw‖/‖w‖, healthy around 1e-3 (cs231n).</summary>
/// <param name="LayerIndex">Position of the layer in forward order, as in <see cref="ParameterGradient.LayerIndex"/>.</param>
/// <param name="Layer">Path of the layer's module.</param>
/// <param name="Ratio">‖w_after − w_before‖ / ‖w_before‖ of the layer's weight matrix or kernel.</param>
/// <param name="UpdateNorm">‖w_after − w_before‖.</param>
/// <param name="WeightNorm">‖w_before‖.</param>
public sealed record UpdateRatio(int LayerIndex, string Layer, double Ratio, double UpdateNorm, double WeightNorm);

/// <summary>The gradient of one parameter.</summary>
/// <param name="LayerIndex">Position of the owning layer among the model's layers, in forward order, input first.</param>
/// <param name="Layer">Path of the owning module, as <c>named_modules()</c> spells it.</param>
/// <param name="Parameter">Name of the parameter in its module (<c>weight</c>, <c>bias</c>, ...).</param>
/// <param name="Norm">L2 norm of the gradient.</param>
/// <param name="NonFiniteCount">NaN and infinite elements in the gradient.</param>
/// <param name="IsWeightMatrix">True for a weight with two or more dimensions (Linear, Conv, Embedding).</param>
public sealed record ParameterGradient(int LayerIndex, string Layer, string Parameter, double Norm, long NonFiniteCount, bool IsWeightMatrix)
{
    /// <summary>How the layer's position was found.</summary>
    public LayerPlacement Placement { get; init; }

    /// <summary>Elements in the gradient.</summary>
    public long Elements { get; init; }

    /// <summary>The largest |g| of the gradient (NaN when it holds a NaN); null when not measured (<see cref="GradientMonitorOptions.MeasureGradientDistribution"/>, sparse gradients).</summary>
    public double? MaxMagnitude { get; init; }

    /// <summary>The fraction of the gradient's elements that are exactly zero (AUTOTRAINER's dying measure); null when not measured.</summary>
    public double? ZeroFraction { get; init; }

    /// <summary>
    /// The gradient's elements counted per bin of magnitude, bin k holding those in (<see cref="GradientHistogram.UpperBounds"/>[k − 1],
    /// <see cref="GradientHistogram.UpperBounds"/>[k]] (bin 0 the exact zeros, the last everything above 2⁸ and NaN); null unless
    /// <see cref="GradientMonitorOptions.MeasureGradientHistogram"/> is on.
    /// </summary>
    public IReadOnlyList<long>? Histogram { get; init; }
}

/// <summary>How a layer's position among the layers was found.</summary>
public enum LayerPlacement
{
    /// <summary>Seen: the forward hooks recorded when the layer first ran.</summary>
    ForwardPass,

    /// <summary>Inferred: the layer ran (it has a gradient) but its hooks never fired, so declaration order places it.</summary>
    Inferred,

    /// <summary>The layer did not run in the pass; it is listed after the others and left out of first/last.</summary>
    Unused,
}

/// <summary>
/// How the units of one activation site behaved over the batch of the last training forward pass. A site is one call:
/// a module called three times in one pass gives three sites. docs/monitor.md defines every figure beside the
/// DeepDiagnosis and AUTOTRAINER measures.
/// </summary>
/// <param name="Layer">The site's name and <c>gradguard.layer</c> attribute: the module's path for its first call, <c>path#k</c> for its k-th.</param>
/// <param name="Module">Path of the module whose call this is: the activation module, or the module whose output the activation consumed.</param>
/// <param name="Call">Which call of <paramref name="Module"/> in the pass, from 1.</param>
/// <param name="Kind">The activation seen at the site, or <see cref="ActivationKind.NotSeen"/>.</param>
/// <param name="Source">How the site was observed.</param>
/// <param name="Units">Units (features or channels) at the site.</param>
public sealed record ActivationStatistics(string Layer, string Module, int Call, ActivationKind Kind, ActivationSource Source, long Units)
{
    /// <summary>
    /// Rectifiers: units whose output was zero (pre-activation ≤ 0) for every example of the batch. Sites where no
    /// activation was seen: units that got no gradient and whose pre-activation was ≤ 0 for the whole batch. Null where
    /// not measured (saturating sites, and layers whose hooks never fired).
    /// </summary>
    public long? DeadUnits { get; init; }

    /// <summary>Saturating activations: the fraction of pre-activation elements with |x| ≥ the saturation threshold (DeepDiagnosis).</summary>
    public double? SaturatedFraction { get; init; }

    /// <summary>Sites where no activation was seen: units that got no gradient and whose |pre-activation| was ≥ the saturation threshold for the whole batch.</summary>
    public long? SaturatedUnits { get; init; }

    /// <summary>
    /// Sites where no activation was seen: units counted in both <see cref="DeadUnits"/> and <see cref="SaturatedUnits"/>,
    /// whose pre-activation stayed ≤ −threshold: a rectifier leaves them dead, a sigmoid or tanh saturated.
    /// </summary>
    public long? UnitsDeadAndSaturated { get; init; }

    /// <summary>Sites where no activation was seen: units whose row of the layer's weight gradient was exactly zero.</summary>
    public long? UnitsWithoutGradient { get; init; }

    /// <summary>Rectifiers, with <see cref="DyingMeasure.NonPositiveOutputs"/>: the fraction of output elements ≤ 0 (DeepDiagnosis).</summary>
    public double? NonPositiveFraction { get; init; }

    /// <summary>Rectifiers, with <see cref="DyingMeasure.ZeroGradients"/>: the fraction of exactly-zero elements in <see cref="WeightLayer"/>'s weight gradient (AUTOTRAINER).</summary>
    public double? ZeroGradientFraction { get; init; }

    /// <summary>The weight layer whose output reaches the site: the last one that ran before it.</summary>
    public string? WeightLayer { get; init; }

    /// <summary>Dead units as a fraction of all units.</summary>
    public double? DeadFraction => DeadUnits is { } dead ? OfUnits(dead) : null;

    /// <summary>Units without gradient as a fraction of all units.</summary>
    public double? WithoutGradientFraction => UnitsWithoutGradient is { } without ? OfUnits(without) : null;

    private double OfUnits(long count) => Units == 0 ? 0 : (double)count / Units;
}

/// <summary>What an activation does to gradients when it misbehaves.</summary>
public enum ActivationKind
{
    /// <summary>ReLU and ReLU6: a unit whose output is zero for the whole batch passes back no gradient.</summary>
    Rectifier,

    /// <summary>Sigmoid and Tanh: pre-activations in the flat tails pass back almost no gradient.</summary>
    Saturating,

    /// <summary>No activation was seen: a Linear/Conv output reached the next weight layer through nothing the monitor recognised; its units are judged by their gradient.</summary>
    NotSeen,
}

/// <summary>Where an activation site was observed.</summary>
public enum ActivationSource
{
    /// <summary>A forward hook on the activation module.</summary>
    ForwardHook,

    /// <summary>A functional activation (<c>relu</c>, <c>sigmoid</c>, <c>tanh</c>): the next module's input was exactly that function of this module's output.</summary>
    FunctionalCall,

    /// <summary>No activation seen: units read off the zero rows of the layer's weight gradient and its output (the pre-activation).</summary>
    WeightGradient,
}

/// <summary>A gradient problem that started at a collection: seen at <see cref="Step"/>, not at <see cref="PreviousStep"/>.</summary>
/// <param name="Kind">Which problem.</param>
/// <param name="Layer">The layer or site concerned, or null for a model-wide problem.</param>
/// <param name="Value">The measurement that crossed the threshold.</param>
/// <param name="Threshold">The threshold it crossed.</param>
/// <param name="Message">A sentence for a person: what was seen and what usually fixes it.</param>
public sealed record GradientDiagnosis(GradientProblem Kind, string? Layer, double Value, double Threshold, string Message)
{
    /// <summary>True when the figure depends on the layer order and that order was partly inferred (<see cref="GradientReport.OrderInferred"/>).</summary>
    public bool OrderInferred { get; init; }

    /// <summary>
    /// The compile-time rule that finds this problem's cause in the source (<c>GG0001</c>, ...), when the model's
    /// structure shows that cause; null otherwise. The message then names it too.
    /// </summary>
    public string? Rule { get; init; }

    /// <summary>The documentation page of <see cref="Rule"/>.</summary>
    public string? RuleHelpLink { get; init; }

    /// <summary>The step whose collection showed the problem.</summary>
    public long Step { get; init; }

    /// <summary>
    /// The step of the collection before, which did not show it; null when <see cref="Step"/> was the first collection.
    /// The problem began in a step after it: with a cadence of 50, somewhere in the 50 steps up to <see cref="Step"/>.
    /// </summary>
    public long? PreviousStep { get; init; }
}

/// <summary>The gradient problems GradGuard diagnoses.</summary>
public enum GradientProblem
{
    /// <summary>The gradient reaching the first layers is orders of magnitude smaller than at the last.</summary>
    VanishingGradients,

    /// <summary>The gradient is very large, much larger at the first layers, or growing collection after collection.</summary>
    ExplodingGradients,

    /// <summary>Gradients contain NaN or infinite values.</summary>
    NonFiniteGradients,

    /// <summary>Most units of a rectifier site (ReLU module, or functional relu seen) are dead.</summary>
    DyingRelu,

    /// <summary>Most pre-activations of a sigmoid/tanh site lie in the flat tails.</summary>
    SaturatedActivations,

    /// <summary>Most units of a layer whose activation was not seen got exactly zero gradient for the whole batch.</summary>
    UnitsWithoutGradient,

    /// <summary>An optimizer step moved some weight layers by far less than their size: those layers are not learning.</summary>
    UpdatesTooSmall,

    /// <summary>An optimizer step moved some weight layers by a large fraction of their size.</summary>
    UpdatesTooLarge,

    /// <summary>The loss passed to the collection was NaN or infinite.</summary>
    NonFiniteLoss,

    /// <summary>The loss jumped far above its running window.</summary>
    LossSpike,
}

/// <summary>Which measure <see cref="GradientMonitorOptions.DyingFraction"/> applies to at rectifier sites.</summary>
public enum DyingMeasure
{
    /// <summary>GradGuard's: the fraction of units whose output was zero for every example of the batch.</summary>
    DeadUnits,

    /// <summary>DeepDiagnosis's: the fraction of output elements ≤ 0, over all examples and units.</summary>
    NonPositiveOutputs,

    /// <summary>AUTOTRAINER's: the fraction of exactly-zero elements in the weight gradient of the layer feeding the site.</summary>
    ZeroGradients,
}
