using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>A module entering (its pre-hook) or leaving (its post-hook) a call during an armed forward pass.</summary>
internal readonly record struct TraceEvent(int Module, bool IsEnter);

/// <summary>What a probe measured at one call of one module.</summary>
internal enum ProbeRole
{
    /// <summary>A ReLU/ReLU6/Sigmoid/Tanh module's call: its output (rectifier) or input (saturating).</summary>
    ActivationModule,

    /// <summary>A module's output that the plan knows a functional activation of <see cref="SiteProbe.Kind"/> consumes.</summary>
    Functional,

    /// <summary>A module's output and the next module's different input: which activation, if any, turned one into the other is read at the collection.</summary>
    Candidate,

    /// <summary>A Linear/Conv call's output, per unit: whether it stayed ≤ 0, or in the flat tails, for the whole batch.</summary>
    UnitMasks,
}

/// <summary>
/// One measurement a hook queued during the pass. What it measured waits in the pass's <see cref="DeviceStatistics"/>
/// as entries (positions in its host copy): counts as scalars, per-unit figures as segments, counted on the host.
/// </summary>
internal sealed record SiteProbe
{
    public required ProbeRole Role { get; init; }

    public required DeclaredModule Module { get; init; }

    public required int Call { get; init; }

    /// <summary>The enter event of an activation module's call, the exit event of the measured output otherwise.</summary>
    public required int Event { get; init; }

    /// <summary>The last weight layer that returned before the probe: the layer whose output the activation consumes.</summary>
    public DeclaredModule? FeedingLayer { get; init; }

    public ActivationKind Kind { get; init; }

    public long Units { get; init; }

    public long Elements { get; init; }

    /// <summary>Rectifier sites and unit masks: the segment of each unit's largest value (dead where ≤ 0); −1 for an empty batch, where every unit is dead.</summary>
    public int UnitMaximaEntry { get; init; } = -1;

    /// <summary>Unit masks: the segment of flags for units saturated throughout; −1 for an empty batch, where none is.</summary>
    public int SaturatedUnitsEntry { get; init; } = -1;

    public int NonPositiveSlot { get; init; } = -1;

    public int SaturatedSlot { get; init; } = -1;

    /// <summary>Candidates: slots of the flags "the next input is relu / sigmoid / tanh of this output".</summary>
    public (int Relu, int Sigmoid, int Tanh) AppliedSlots { get; init; } = (-1, -1, -1);

    /// <summary>Rectifier sites: units dead for the whole batch, counted from the host copy.</summary>
    public long DeadUnits(HostStatistics values) => UnitMaximaEntry < 0 ? Units : CountAtMostZero(values.Segment(UnitMaximaEntry));

    /// <summary>Per unit: dead (largest value ≤ 0) for a rectifier; every unit of an empty batch.</summary>
    public bool IsDead(HostStatistics values, int unit) => UnitMaximaEntry < 0 || values.Segment(UnitMaximaEntry)[unit] <= 0;

    /// <summary>Per unit: saturated throughout; no unit of an empty batch.</summary>
    public bool IsSaturated(HostStatistics values, int unit) => SaturatedUnitsEntry >= 0 && values.Segment(SaturatedUnitsEntry)[unit] != 0;

    private static long CountAtMostZero(ReadOnlySpan<double> maxima)
    {
        long count = 0;
        foreach (double maximum in maxima)
        {
            if (maximum <= 0)
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>
/// The calls of one armed forward pass, in order, and what its hooks measured. It follows the plan learned from
/// the pass the current plan was built from for as long as its events match that pass's, and from the first event
/// that differs it measures what a pass it has no plan for needs (<see cref="DivergedAt"/>).
/// </summary>
internal sealed class ForwardPass : IDisposable
{
    private readonly List<TraceEvent> events = new();
    private readonly List<SiteProbe> probes = new();
    private readonly Stack<(DeclaredModule Module, int Call, int Enter)> open = new();
    private readonly int[] calls;
    private readonly int[] openCalls;

    public ForwardPass(int modules)
    {
        calls = new int[modules];
        openCalls = new int[modules];
    }

    public IReadOnlyList<TraceEvent> Events => events;

    public IReadOnlyList<SiteProbe> Probes => probes;

    public DeviceStatistics Statistics { get; } = new();

    /// <summary>The first event that did not match the plan's pass; null while every event has.</summary>
    public int? DivergedAt { get; private set; }

    /// <summary>The module whose call opened the pass: its next call at the top level starts a new pass.</summary>
    public DeclaredModule? Opener { get; private set; }

    public bool IsEmpty => events.Count == 0;

    /// <summary>True when the pass ran exactly the calls of the plan's pass, so the plan measured everything.</summary>
    public bool Matches(IReadOnlyList<TraceEvent> expected) => DivergedAt is null && events.Count == expected.Count;

    /// <summary>True when a call of <paramref name="module"/> now begins another pass rather than continuing this one.</summary>
    public bool StartsAnother(DeclaredModule module) => !IsEmpty && ReferenceEquals(module, Opener) && openCalls[module.Index] == 0;

    /// <summary>Records a module entering a call; returns the call's number (1 for its first call in the pass) and whether the plan still holds.</summary>
    public (int Call, bool Planned) Enter(DeclaredModule module, IReadOnlyList<TraceEvent> expected)
    {
        if (IsEmpty)
        {
            Opener = module;
        }

        int call = ++calls[module.Index];
        openCalls[module.Index]++;
        open.Push((module, call, events.Count));
        return (call, Record(new TraceEvent(module.Index, true), expected));
    }

    /// <summary>Records a module leaving its innermost open call; returns that call's number, its enter event, and whether the plan still holds.</summary>
    public (int Call, int Enter, bool Planned) Exit(DeclaredModule module, IReadOnlyList<TraceEvent> expected)
    {
        // A call that threw never returned: its frames are closed with the caller's.
        while (open.Count > 0 && !ReferenceEquals(open.Peek().Module, module))
        {
            openCalls[open.Pop().Module.Index]--;
        }

        var (_, call, enter) = open.Count > 0 ? open.Pop() : (module, calls[module.Index], -1);
        if (enter >= 0)
        {
            openCalls[module.Index]--;
        }

        return (call, enter, Record(new TraceEvent(module.Index, false), expected));
    }

    /// <summary>The index the next event will get.</summary>
    public int NextEvent => events.Count;

    public void Add(SiteProbe probe) => probes.Add(probe);

    /// <summary>Forgets everything, disposing what the hooks kept on the device.</summary>
    public void Clear()
    {
        events.Clear();
        probes.Clear();
        open.Clear();
        Array.Clear(calls);
        Array.Clear(openCalls);
        Statistics.Clear();
        DivergedAt = null;
        Opener = null;
    }

    public void Dispose() => Clear();

    private bool Record(TraceEvent traced, IReadOnlyList<TraceEvent> expected)
    {
        int index = events.Count;
        events.Add(traced);
        if (DivergedAt is null && (index >= expected.Count || expected[index] != traced))
        {
            DivergedAt = index;
        }

        return DivergedAt is null;
    }
}
