using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// What a collection reads beyond the gradients and the activation sites, all in its one transfer: the update ratios
/// of the optimizer step before it, the step's loss, and the sums that tell where a NaN was born; and what it adds to
/// the diagnoses: their problems, the GG rule whose cause the structure shows, and the NaN's origin.
/// </summary>
internal sealed class TrainingSignals : IDisposable
{
    private readonly GradientMonitorOptions options;
    private readonly RuleCitations citations;
    private readonly UpdateRatios updates;
    private readonly LossTracker losses;
    private readonly NonFiniteOrigin? nonFiniteOrigin;

    public TrainingSignals(ModelStructure structure, GradientMonitorOptions options, ForwardPassRecorder recorder)
    {
        this.options = options;
        citations = RuleCitations.Discover(structure);
        updates = new UpdateRatios(options);
        losses = new LossTracker(options);
        nonFiniteOrigin = options.LocateNonFinite ? new NonFiniteOrigin(recorder) : null;
    }

    /// <summary>At every <see cref="GradientMonitor.Collect"/> call, before it collects or not: the optimizer has stepped since the last one.</summary>
    public void StepTaken(bool collecting) => updates.MeasureStep(collecting && options.MeasureUpdateRatios);

    /// <summary>After a collection: what the next step's update is measured against. <paramref name="parameters"/>[i] is the parameter of the report's i-th gradient.</summary>
    public void Collected(GradientReport report, IReadOnlyList<(PlacedLayer Layer, TrackedParameter Parameter)> parameters)
    {
        if (options.MeasureUpdateRatios)
        {
            updates.Remember(report, parameters);
        }
    }

    /// <summary>Queues the signals for the collection's transfer; returns how to read them from the host copy.</summary>
    public Func<HostStatistics, Measured> Queue(DeviceStatistics statistics, Tensor? loss)
    {
        var readUpdates = updates.Queue(statistics);
        int lossSlot = loss is null ? -1 : LossTracker.Queue(loss, statistics);
        var readOrigin = nonFiniteOrigin?.Queue(statistics);
        return values => new Measured(this, readUpdates(values), lossSlot >= 0 ? values[lossSlot] : null, () => readOrigin?.Invoke(values));
    }

    public void Dispose()
    {
        updates.Dispose();
        nonFiniteOrigin?.Dispose();
    }

    /// <summary>The signals of one collection.</summary>
    public sealed class Measured
    {
        private readonly TrainingSignals signals;
        private readonly Func<string?> origin;

        public Measured(TrainingSignals signals, IReadOnlyList<UpdateRatio> updateRatios, double? loss, Func<string?> origin)
        {
            this.signals = signals;
            this.origin = origin;
            UpdateRatios = updateRatios;
            Loss = loss;
        }

        public IReadOnlyList<UpdateRatio> UpdateRatios { get; }

        public double? Loss { get; }

        /// <summary>Where the NaN was born, once <see cref="Annotate"/> found the step non-finite.</summary>
        public string? NonFiniteOrigin { get; private set; }

        /// <summary>The problems the update ratios and the loss show, for the diagnostician's episodes. Read once: the loss window moves.</summary>
        public IEnumerable<GradientDiagnosis> Problems() =>
            signals.updates.Diagnose(UpdateRatios).Concat(Loss is { } loss ? signals.losses.Diagnose(loss) : Enumerable.Empty<GradientDiagnosis>());

        /// <summary>The diagnoses that started, citing their rule and, when the step is non-finite, where the NaN was born.</summary>
        public IReadOnlyList<GradientDiagnosis> Annotate(IReadOnlyList<GradientDiagnosis> diagnoses, IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> activations, bool clipped, bool nonFinite)
        {
            NonFiniteOrigin = nonFinite ? origin() : null;
            return TorchSharp.NonFiniteOrigin.Explain(signals.citations.Cite(diagnoses, parameters, activations, clipped), NonFiniteOrigin);
        }
    }
}
