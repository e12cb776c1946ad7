using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Turns what the hooks measured in a pass into its activation sites, in two halves around the collection's single
/// host copy: <see cref="Prepare"/> queues what the sites still need from the gradients, <see cref="Resolve"/> reads
/// the copied values, settles which functional activations the candidates were, and learns the plan for the passes
/// to come. A Linear/Conv call whose output reaches the next weight layer through no activation seen becomes a site
/// of kind <see cref="ActivationKind.NotSeen"/>, judged by the zero rows of its weight gradient. Both halves take time
/// linear in the sites (up to a sort), so a network of hundreds of layers pays per layer what a small one does.
/// </summary>
internal sealed class ActivationSites
{
    private readonly ForwardPass pass;
    private readonly List<NotSeenSite> notSeen;
    private readonly Dictionary<DeclaredModule, (int Slot, long Elements)> zeroGradientElements;

    private ActivationSites(ForwardPass pass, List<NotSeenSite> notSeen, Dictionary<DeclaredModule, (int, long)> zeroGradientElements)
    {
        this.pass = pass;
        this.notSeen = notSeen;
        this.zeroGradientElements = zeroGradientElements;
    }

    /// <summary>
    /// Queues, in the pass's statistics, the row magnitudes of the weight gradients of the layers whose activation was
    /// not seen, and AUTOTRAINER's zero-gradient counts where they are asked for; <paramref name="weightGradient"/> gives
    /// the gradient of a layer's weight matrix, or null without one.
    /// </summary>
    public static ActivationSites Prepare(ForwardPass pass, ForwardOrder order, GradientMonitorOptions options, Func<DeclaredModule, Tensor?> weightGradient)
    {
        var statistics = pass.Statistics;
        var activationKeys = pass.Probes.Where(probe => probe.Role is ProbeRole.ActivationModule or ProbeRole.Functional).Select(KeyOf).Order().ToList();
        var masks = pass.Probes.Where(probe => probe.Role == ProbeRole.UnitMasks).ToDictionary(probe => (probe.Module, probe.Call));
        var rows = new Dictionary<DeclaredModule, (int Entry, long Rows)>();
        var notSeen = new List<NotSeenSite>();
        var calls = order.WeightLayerCalls;
        for (int index = 0; index < calls.Count; index++)
        {
            var call = calls[index];
            var next = FirstEnteringAfter(calls, index + 1, call.Exit);
            if (call.Layer.Units is null || next is null || AnyBetween(activationKeys, call.Exit, next.Enter) || weightGradient(call.Layer) is not { } gradient)
            {
                continue;
            }

            if (!rows.TryGetValue(call.Layer, out var magnitudes))
            {
                magnitudes = (statistics.Add(UnitReductions.RowMagnitudes(gradient)), gradient.size(0));
                rows.Add(call.Layer, magnitudes);
            }

            var probe = call.Seen ? masks.GetValueOrDefault((call.Layer, call.Call)) : null;
            notSeen.Add(new NotSeenSite(
                call,
                call.Seen ? OrderKey.After((int)call.Exit.Position) : call.Exit with { Tiebreak = call.Exit.Tiebreak + 1 },
                next.Enter,
                magnitudes.Rows,
                magnitudes.Entry,
                probe is not null && probe.Units == magnitudes.Rows ? probe : null));
        }

        var zeroGradientElements = new Dictionary<DeclaredModule, (int, long)>();
        if (options.DyingMeasure == DyingMeasure.ZeroGradients)
        {
            foreach (var feeding in pass.Probes.Where(MayBeRectifier).Select(probe => probe.FeedingLayer).OfType<DeclaredModule>().Distinct())
            {
                if (weightGradient(feeding) is { } gradient)
                {
                    zeroGradientElements[feeding] = (statistics.Add(UnitReductions.ZeroElements(gradient)), gradient.numel());
                }
            }
        }

        return new ActivationSites(pass, notSeen, zeroGradientElements);
    }

    /// <summary>The sites in forward order, read from the host copy, and, when <paramref name="learn"/>, the plan the next passes follow.</summary>
    public (IReadOnlyList<ActivationStatistics> Sites, ForwardPassPlan? Plan) Resolve(HostStatistics values, bool learn)
    {
        var sites = new List<(OrderKey Key, SiteProbe? Probe, NotSeenSite? NotSeen, ActivationKind Kind)>(pass.Probes.Count + notSeen.Count);
        var functional = new List<OrderKey>();
        foreach (var probe in pass.Probes)
        {
            ActivationKind? kind = probe.Role switch
            {
                ProbeRole.ActivationModule or ProbeRole.Functional => probe.Kind,
                ProbeRole.Candidate => AppliedKind(probe, values),
                _ => null,
            };
            if (kind is { } seen)
            {
                sites.Add((KeyOf(probe), probe, null, seen));
                if (probe.Role == ProbeRole.Candidate)
                {
                    functional.Add(KeyOf(probe));
                }
            }
        }

        functional.Sort();
        sites.AddRange(notSeen.Where(site => !AnyBetween(functional, site.Call.Exit, site.NextWeightLayer))
            .Select(site => (site.Key, (SiteProbe?)null, (NotSeenSite?)site, ActivationKind.NotSeen)));
        sites.Sort((left, right) => left.Key.CompareTo(right.Key));

        var plan = learn ? new Dictionary<(int Module, int Call), (ProbeRole Role, ActivationKind Kind)>() : null;
        var statistics = new List<ActivationStatistics>(sites.Count);
        foreach (var (_, probe, notSeenSite, kind) in sites)
        {
            if (probe is not null)
            {
                if (plan is not null && probe.Role != ProbeRole.ActivationModule)
                {
                    plan[(probe.Module.Index, probe.Call)] = (ProbeRole.Functional, kind);
                }

                statistics.Add(FromProbe(probe, kind, values));
            }
            else
            {
                var site = notSeenSite!;
                if (plan is not null && site.Call.Seen)
                {
                    plan[(site.Call.Layer.Index, site.Call.Call)] = (ProbeRole.UnitMasks, ActivationKind.NotSeen);
                }

                statistics.Add(site.Statistics(values));
            }
        }

        return (statistics, plan is not null ? new ForwardPassPlan(pass.Events.ToList(), plan) : null);
    }

    /// <summary>The site's name and <c>gradguard.layer</c>: the module's path, with <c>#k</c> from its second call on, so the first call's name never changes.</summary>
    public static string SiteName(DeclaredModule module, int call) => call == 1 ? module.Path : $"{module.Path}#{call}";

    private static OrderKey KeyOf(SiteProbe probe) => probe.Role == ProbeRole.ActivationModule ? new OrderKey(probe.Event, 0) : OrderKey.After(probe.Event);

    private static bool MayBeRectifier(SiteProbe probe) => probe.Role == ProbeRole.Candidate || (probe.Role != ProbeRole.UnitMasks && probe.Kind == ActivationKind.Rectifier);

    /// <summary>The first call from <paramref name="start"/> on (calls are in order of entry) that enters after <paramref name="key"/>.</summary>
    private static WeightLayerCall? FirstEnteringAfter(IReadOnlyList<WeightLayerCall> calls, int start, OrderKey key)
    {
        int low = start;
        int high = calls.Count;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (calls[middle].Enter > key)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low < calls.Count ? calls[low] : null;
    }

    /// <summary>True when a key of the sorted <paramref name="keys"/> lies strictly between <paramref name="after"/> and <paramref name="before"/>.</summary>
    private static bool AnyBetween(List<OrderKey> keys, OrderKey after, OrderKey before)
    {
        int low = 0;
        int high = keys.Count;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (keys[middle] > after)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low < keys.Count && keys[low] < before;
    }

    private static ActivationKind? AppliedKind(SiteProbe probe, HostStatistics values) =>
        values[probe.AppliedSlots.Relu] != 0 ? ActivationKind.Rectifier
        : values[probe.AppliedSlots.Sigmoid] != 0 || values[probe.AppliedSlots.Tanh] != 0 ? ActivationKind.Saturating
        : null;

    /// <remarks>Made in one piece rather than completed with <c>with</c>: a deep model has hundreds of sites a collection.</remarks>
    private ActivationStatistics FromProbe(SiteProbe probe, ActivationKind kind, HostStatistics values)
    {
        var source = probe.Role == ProbeRole.ActivationModule ? ActivationSource.ForwardHook : ActivationSource.FunctionalCall;
        bool saturating = kind == ActivationKind.Saturating;
        return new ActivationStatistics(SiteName(probe.Module, probe.Call), probe.Module.Path, probe.Call, kind, source, probe.Units)
        {
            WeightLayer = probe.FeedingLayer?.Path,
            SaturatedFraction = saturating ? Fraction(values[probe.SaturatedSlot], probe.Elements) : null,
            DeadUnits = saturating ? null : probe.DeadUnits(values),
            NonPositiveFraction = !saturating && probe.NonPositiveSlot >= 0 ? Fraction(values[probe.NonPositiveSlot], probe.Elements) : null,
            ZeroGradientFraction = !saturating && probe.FeedingLayer is { } feeding && zeroGradientElements.TryGetValue(feeding, out var zero)
                ? Fraction(values[zero.Slot], zero.Elements)
                : null,
        };
    }

    private static double Fraction(double count, long elements) => elements == 0 ? 0 : count / elements;

    /// <summary>
    /// A weight layer's run whose output reached <see cref="NextWeightLayer"/> through no activation module or planned
    /// functional one: its units are judged by their rows of the weight gradient, and, where its hooks measured its
    /// output (<see cref="Masks"/>, with one flag per row), by their pre-activation too.
    /// </summary>
    private sealed record NotSeenSite(WeightLayerCall Call, OrderKey Key, OrderKey NextWeightLayer, long Units, int RowMagnitudesEntry, SiteProbe? Masks)
    {
        public ActivationStatistics Statistics(HostStatistics values)
        {
            var magnitudes = values.Segment(RowMagnitudesEntry);
            long without = 0, dead = 0, saturated = 0, both = 0;
            for (int unit = 0; unit < magnitudes.Length; unit++)
            {
                if (magnitudes[unit] != 0)
                {
                    continue;
                }

                without++;
                if (Masks is not null)
                {
                    bool isDead = Masks.IsDead(values, unit);
                    bool isSaturated = Masks.IsSaturated(values, unit);
                    dead += isDead ? 1 : 0;
                    saturated += isSaturated ? 1 : 0;
                    both += isDead && isSaturated ? 1 : 0;
                }
            }

            return new ActivationStatistics(SiteName(Call.Layer, Call.Call), Call.Layer.Path, Call.Call, ActivationKind.NotSeen, ActivationSource.WeightGradient, Units)
            {
                UnitsWithoutGradient = without,
                DeadUnits = Masks is not null ? dead : null,
                SaturatedUnits = Masks is not null ? saturated : null,
                UnitsDeadAndSaturated = Masks is not null ? both : null,
                WeightLayer = Call.Layer.Path,
            };
        }
    }
}
