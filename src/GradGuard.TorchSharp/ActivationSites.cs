using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Turns what the hooks measured in a pass into its activation sites, in two halves around the collection's single
/// host copy: <see cref="Prepare"/> queues what the sites still need from the gradients, <see cref="Resolve"/> reads
/// the copied values, settles which functional activations the candidates were, and learns the plan for the passes
/// to come. A Linear/Conv call whose output reaches the next weight layer through no activation seen becomes a site
/// of kind <see cref="ActivationKind.NotSeen"/>, judged by the zero rows of its weight gradient.
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
    /// Queues, in the pass's statistics, the zero rows of the weight layers whose activation was not seen, and
    /// AUTOTRAINER's zero-gradient counts where they are asked for; <paramref name="weightGradient"/> gives the gradient
    /// of a layer's weight matrix, or null without one.
    /// </summary>
    public static ActivationSites Prepare(ForwardPass pass, ForwardOrder order, GradientMonitorOptions options, Func<DeclaredModule, Tensor?> weightGradient)
    {
        var statistics = pass.Statistics;
        var activationKeys = pass.Probes.Where(probe => probe.Role is ProbeRole.ActivationModule or ProbeRole.Functional).Select(KeyOf).ToList();
        var masks = pass.Probes.Where(probe => probe.Role == ProbeRole.UnitMasks).ToDictionary(probe => (probe.Module, probe.Call));
        var zeroRows = new Dictionary<DeclaredModule, Tensor>();
        var notSeen = new List<NotSeenSite>();
        var calls = order.WeightLayerCalls;
        for (int index = 0; index < calls.Count; index++)
        {
            var call = calls[index];
            var next = calls.Skip(index + 1).FirstOrDefault(later => later.Enter > call.Exit);
            if (call.Layer.Units is null || next is null || activationKeys.Any(key => key > call.Exit && key < next.Enter) || weightGradient(call.Layer) is not { } gradient)
            {
                continue;
            }

            if (!zeroRows.TryGetValue(call.Layer, out var zero))
            {
                zero = UnitReductions.ZeroRowMask(gradient);
                zeroRows.Add(call.Layer, zero);
            }

            var probe = call.Seen ? masks.GetValueOrDefault((call.Layer, call.Call)) : null;
            bool masked = probe?.DeadMask is not null && probe.DeadMask.shape[0] == zero.shape[0];
            notSeen.Add(new NotSeenSite(
                call,
                call.Seen ? OrderKey.After((int)call.Exit.Position) : call.Exit with { Tiebreak = call.Exit.Tiebreak + 1 },
                next.Enter,
                zero.shape[0],
                statistics.Add(zero.sum()),
                masked ? statistics.Add(zero.logical_and(probe!.DeadMask!).sum()) : -1,
                masked ? statistics.Add(zero.logical_and(probe!.SaturatedMask!).sum()) : -1,
                masked ? statistics.Add(zero.logical_and(probe!.DeadMask!).logical_and(probe.SaturatedMask!).sum()) : -1));
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
    public (IReadOnlyList<ActivationStatistics> Sites, ForwardPassPlan? Plan) Resolve(double[] values, bool learn)
    {
        var sites = new List<(OrderKey Key, SiteProbe? Probe, NotSeenSite? NotSeen, ActivationKind Kind)>();
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
            }
        }

        var functional = sites.Where(site => site.Probe!.Role == ProbeRole.Candidate).Select(site => site.Key).ToList();
        sites.AddRange(notSeen.Where(site => !functional.Any(key => key > site.Call.Exit && key < site.NextWeightLayer))
            .Select(site => (site.Key, (SiteProbe?)null, (NotSeenSite?)site, ActivationKind.NotSeen)));
        sites.Sort((left, right) => left.Key.CompareTo(right.Key));

        var plan = new Dictionary<(int Module, int Call), (ProbeRole Role, ActivationKind Kind)>();
        var statistics = new List<ActivationStatistics>(sites.Count);
        foreach (var (_, probe, notSeenSite, kind) in sites)
        {
            if (probe is not null)
            {
                if (probe.Role != ProbeRole.ActivationModule)
                {
                    plan[(probe.Module.Index, probe.Call)] = (ProbeRole.Functional, kind);
                }

                statistics.Add(FromProbe(probe, kind, values));
            }
            else
            {
                var site = notSeenSite!;
                if (site.Call.Seen)
                {
                    plan[(site.Call.Layer.Index, site.Call.Call)] = (ProbeRole.UnitMasks, ActivationKind.NotSeen);
                }

                statistics.Add(new ActivationStatistics(SiteName(site.Call.Layer, site.Call.Call), site.Call.Layer.Path, site.Call.Call, ActivationKind.NotSeen, ActivationSource.WeightGradient, site.Units)
                {
                    UnitsWithoutGradient = (long)values[site.WithoutGradientSlot],
                    DeadUnits = site.DeadSlot >= 0 ? (long)values[site.DeadSlot] : null,
                    SaturatedUnits = site.SaturatedSlot >= 0 ? (long)values[site.SaturatedSlot] : null,
                    UnitsDeadAndSaturated = site.BothSlot >= 0 ? (long)values[site.BothSlot] : null,
                    WeightLayer = site.Call.Layer.Path,
                });
            }
        }

        return (statistics, learn ? new ForwardPassPlan(pass.Events.ToList(), plan) : null);
    }

    /// <summary>The site's name and <c>gradguard.layer</c>: the module's path, with <c>#k</c> from its second call on, so the first call's name never changes.</summary>
    public static string SiteName(DeclaredModule module, int call) => call == 1 ? module.Path : $"{module.Path}#{call}";

    private static OrderKey KeyOf(SiteProbe probe) => probe.Role == ProbeRole.ActivationModule ? new OrderKey(probe.Event, 0) : OrderKey.After(probe.Event);

    private static bool MayBeRectifier(SiteProbe probe) => probe.Role == ProbeRole.Candidate || (probe.Role != ProbeRole.UnitMasks && probe.Kind == ActivationKind.Rectifier);

    private static ActivationKind? AppliedKind(SiteProbe probe, double[] values) =>
        values[probe.AppliedSlots.Relu] != 0 ? ActivationKind.Rectifier
        : values[probe.AppliedSlots.Sigmoid] != 0 || values[probe.AppliedSlots.Tanh] != 0 ? ActivationKind.Saturating
        : null;

    private ActivationStatistics FromProbe(SiteProbe probe, ActivationKind kind, double[] values)
    {
        var source = probe.Role == ProbeRole.ActivationModule ? ActivationSource.ForwardHook : ActivationSource.FunctionalCall;
        var site = new ActivationStatistics(SiteName(probe.Module, probe.Call), probe.Module.Path, probe.Call, kind, source, probe.Units)
        {
            WeightLayer = probe.FeedingLayer?.Path,
        };
        if (kind == ActivationKind.Saturating)
        {
            return site with { SaturatedFraction = probe.Elements == 0 ? 0 : values[probe.SaturatedSlot] / probe.Elements };
        }

        return site with
        {
            DeadUnits = (long)values[probe.DeadSlot],
            NonPositiveFraction = probe.NonPositiveSlot >= 0 ? (probe.Elements == 0 ? 0 : values[probe.NonPositiveSlot] / probe.Elements) : null,
            ZeroGradientFraction = probe.FeedingLayer is { } feeding && zeroGradientElements.TryGetValue(feeding, out var zero)
                ? (zero.Elements == 0 ? 0 : values[zero.Slot] / zero.Elements)
                : null,
        };
    }

    /// <summary>A weight layer's run whose output reached <see cref="NextWeightLayer"/> through no activation module or planned functional one.</summary>
    private sealed record NotSeenSite(WeightLayerCall Call, OrderKey Key, OrderKey NextWeightLayer, long Units, int WithoutGradientSlot, int DeadSlot, int SaturatedSlot, int BothSlot);
}
