using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// What the forward hooks measure once the monitor knows a pass's calls: the pass they were learned from, and the
/// calls whose output a functional activation consumes (<see cref="ProbeRole.Functional"/>) or whose units the
/// collection reads off the weight gradient (<see cref="ProbeRole.UnitMasks"/>).
/// </summary>
internal sealed class ForwardPassPlan
{
    private readonly Dictionary<(int Module, int Call), (ProbeRole Role, ActivationKind Kind)> probes;

    public ForwardPassPlan(IReadOnlyList<TraceEvent> expected, Dictionary<(int Module, int Call), (ProbeRole Role, ActivationKind Kind)> probes)
    {
        Expected = expected;
        this.probes = probes;
    }

    public static ForwardPassPlan Empty { get; } = new(Array.Empty<TraceEvent>(), new());

    /// <summary>The events of the pass the plan was learned from.</summary>
    public IReadOnlyList<TraceEvent> Expected { get; }

    public (ProbeRole Role, ActivationKind Kind)? For(DeclaredModule module, int call) =>
        probes.TryGetValue((module.Index, call), out var probe) ? probe : null;
}

/// <summary>
/// Hooks on every module of the model that record the order of calls during armed training passes and measure the
/// activation sites. They are on the modules only while the recorder is armed: on a step that does not collect, the
/// model runs as if no monitor were attached. On an armed step a call
/// that the plan expects costs a lookup, and only the calls the plan names compute anything; where the pass stops
/// matching the plan's pass (a branch, a changed model) the hooks learn it anew from that call on: they keep each
/// module's output until the next call begins, test whether a functional activation turned one into the other, and
/// measure the units of every Linear/Conv output. The collection turns the result into the next plan.
/// </summary>
internal sealed class ForwardPassRecorder : IDisposable
{
    private readonly GradientMonitorOptions options;
    // Taken at attach, as the monitor's clock takes it: the hooks' ticks and the clock's must come from one provider.
    private readonly TimeProvider time;
    private readonly List<ModuleHooks> hooks = new();
    private ForwardPassPlan plan = ForwardPassPlan.Empty;
    private (DeclaredModule Module, int Call, int Event, Tensor Output)? pending;
    private DeclaredModule? lastWeightLayer;
    private long hookTicks;
    private long hookBytes;
    private bool armed;

    public ForwardPassRecorder(ModelStructure structure, GradientMonitorOptions options)
    {
        this.options = options;
        time = options.TimeProvider;
        Pass = new ForwardPass(structure.Modules.Count);
        foreach (var module in structure.Modules)
        {
            if (HooksOf(module) is { } moduleHooks)
            {
                hooks.Add(moduleHooks);
            }
        }
    }

    /// <summary>
    /// True while the passes count: before a collecting <see cref="GradientMonitor.Collect"/> call. Arming puts the
    /// hooks on the modules and disarming takes them off, so that a pass the monitor does not collect runs as if no
    /// monitor were attached (<see cref="ModuleHooks"/>).
    /// </summary>
    public bool Armed
    {
        get => armed;
        set
        {
            if (value == armed)
            {
                return;
            }

            armed = value;
            foreach (var moduleHooks in hooks)
            {
                if (armed)
                {
                    moduleHooks.PutOn();
                }
                else
                {
                    moduleHooks.TakeOff();
                }
            }
        }
    }

    /// <summary>The latest armed training pass since the last collection.</summary>
    public ForwardPass Pass { get; }

    public ForwardPassPlan Plan => plan;

    /// <summary>Told of every call of a module with a tensor input and output as it returns during an armed training pass, with its call number.</summary>
    public Action<DeclaredModule, int, Tensor, Tensor>? CallReturned { get; set; }

    /// <summary>The time the hooks spent recording and measuring since the last call, in ticks of <see cref="GradientMonitorOptions.TimeProvider"/>, and the managed bytes they allocated; resets both.</summary>
    public (long Ticks, long Bytes) TakeHookWork()
    {
        var work = (hookTicks, hookBytes);
        (hookTicks, hookBytes) = (0, 0);
        return work;
    }

    /// <summary>Keeps the plan learned from a collected pass for the passes to come.</summary>
    public void Learn(ForwardPassPlan learned) => plan = learned;

    /// <summary>Ends the window: the next armed pass starts from nothing.</summary>
    public void Reset()
    {
        pending = null;
        lastWeightLayer = null;
        Pass.Clear();
    }

    public void Dispose()
    {
        Armed = false;
        hooks.Clear();
        Reset();
    }

    /// <summary>Evaluation passes run under no_grad; only a training forward pass explains the next gradients.</summary>
    private static bool Recording => torch.is_grad_enabled();

    /// <summary>The module's two hooks; null for a module without call().</summary>
    private ModuleHooks? HooksOf(DeclaredModule module) => module.Module is nn.Module<Tensor, Tensor> tensorModule
        ? ModuleHooks.Typed(
            tensorModule,
            (_, input) =>
            {
                Enter(module, input);
                return Unchanged;
            },
            (_, input, output) =>
            {
                Exit(module, input, output);
                return Unchanged;
            })
        : ModuleHooks.ModuleLevel(module.Module, _ => Enter(module, null), _ => Exit(module, null, null));

    /// <summary>TorchSharp keeps a module's input and output when a hook returns null.</summary>
    private static Tensor Unchanged => null!;

    private void Enter(DeclaredModule module, Tensor? input)
    {
        if (!Recording)
        {
            return;
        }

        var started = HookStarted();
        if (Pass.StartsAnother(module))
        {
            Reset();
        }

        var (_, planned) = Pass.Enter(module, plan.Expected);
        if (!planned)
        {
            ResolvePending(module.Activation is not null, input);
        }

        HookEnded(started);
    }

    private void Exit(DeclaredModule module, Tensor? input, Tensor? output)
    {
        if (!Recording)
        {
            return;
        }

        var started = HookStarted();
        Record(module, input, output);
        HookEnded(started);
    }

    private (long Ticks, long Bytes) HookStarted() => (time.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread());

    private void HookEnded((long Ticks, long Bytes) started)
    {
        hookTicks += time.GetTimestamp() - started.Ticks;
        hookBytes += GC.GetAllocatedBytesForCurrentThread() - started.Bytes;
    }

    private void Record(DeclaredModule module, Tensor? input, Tensor? output)
    {
        int exitEvent = Pass.NextEvent;
        var (call, enterEvent, planned) = Pass.Exit(module, plan.Expected);
        if (module.IsWeightLayer)
        {
            lastWeightLayer = module;
        }

        if (module.Activation is { } kind && input is not null && output is not null)
        {
            MeasureActivationModule(module, call, enterEvent, kind, input, output);
        }
        else if (output is not null)
        {
            if (planned)
            {
                MeasurePlanned(module, call, exitEvent, output);
            }
            else if (pending is not { } held || !ReferenceEquals(held.Output, output))
            {
                // A container returning its last child's tensor leaves the child as the one the activation follows.
                ResolvePending(activationFollows: false, nextInput: null);
                pending = (module, call, exitEvent, output);
            }
        }

        if (input is not null && output is not null)
        {
            CallReturned?.Invoke(module, call, input, output);
        }
    }

    private void MeasurePlanned(DeclaredModule module, int call, int exitEvent, Tensor output)
    {
        if (plan.For(module, call) is not { } planned)
        {
            return;
        }

        using var noGrad = torch.no_grad();
        Pass.Add(planned.Role == ProbeRole.UnitMasks
            ? MaskProbe(module, call, exitEvent, output)
            : OutputProbe(ProbeRole.Functional, module, call, exitEvent, output, planned.Kind));
    }

    /// <summary>
    /// Settles the output kept from the last call once the next call begins (or another output replaces it): an
    /// activation module consuming it measures it itself; otherwise a Linear/Conv output gets its unit masks, and an
    /// input that differs from it is tested against each functional activation.
    /// </summary>
    private void ResolvePending(bool activationFollows, Tensor? nextInput)
    {
        if (pending is not { } held)
        {
            return;
        }

        pending = null;
        if (activationFollows || held.Output.IsInvalid)
        {
            return;
        }

        using var noGrad = torch.no_grad();
        if (held.Module.Units is not null)
        {
            Pass.Add(MaskProbe(held.Module, held.Call, held.Event, held.Output));
        }

        if (nextInput is not null && !ReferenceEquals(nextInput, held.Output) && nextInput.shape.SequenceEqual(held.Output.shape))
        {
            Pass.Add(CandidateProbe(held.Module, held.Call, held.Event, held.Output, nextInput));
        }
    }

    private void MeasureActivationModule(DeclaredModule module, int call, int enterEvent, ActivationKind kind, Tensor input, Tensor output)
    {
        using var noGrad = torch.no_grad();
        // A rectifier's output is zero exactly where its input is ≤ 0; a saturating activation is judged on its input.
        Pass.Add(OutputProbe(ProbeRole.ActivationModule, module, call, enterEvent, kind == ActivationKind.Rectifier ? output : input, kind));
    }

    /// <summary>The figures of an activation of <paramref name="kind"/> whose pre-activation (or rectifier output) is <paramref name="measured"/>.</summary>
    private SiteProbe OutputProbe(ProbeRole role, DeclaredModule module, int call, int @event, Tensor measured, ActivationKind kind)
    {
        var statistics = Pass.Statistics;
        long unitDimension = UnitReductions.UnitDimension(measured, lastWeightLayer?.Units, options.UnitDimension);
        // One object per probe, not one completed with `with`: a deep model's pass makes hundreds.
        bool saturating = kind == ActivationKind.Saturating;
        return new SiteProbe
        {
            Role = role, Module = module, Call = call, Event = @event, FeedingLayer = lastWeightLayer, Kind = kind,
            Units = UnitReductions.Units(measured, unitDimension),
            Elements = measured.numel(),
            SaturatedSlot = saturating ? statistics.Add(UnitReductions.SaturatedElements(measured, options.SaturationThreshold)) : -1,
            UnitMaximaEntry = saturating ? -1 : Queued(UnitReductions.PerUnitMaximum(measured, unitDimension)),
            NonPositiveSlot = !saturating && options.DyingMeasure == DyingMeasure.NonPositiveOutputs ? statistics.Add(UnitReductions.NonPositiveElements(measured)) : -1,
        };
    }

    private SiteProbe CandidateProbe(DeclaredModule module, int call, int @event, Tensor output, Tensor nextInput) =>
        OutputProbe(ProbeRole.Candidate, module, call, @event, output, ActivationKind.Rectifier) with
        {
            SaturatedSlot = Pass.Statistics.Add(UnitReductions.SaturatedElements(output, options.SaturationThreshold)),
            AppliedSlots = (
                Pass.Statistics.Add(UnitReductions.IsApplied(nextInput, output, tensor => tensor.relu())),
                Pass.Statistics.Add(UnitReductions.IsApplied(nextInput, output, tensor => tensor.sigmoid())),
                Pass.Statistics.Add(UnitReductions.IsApplied(nextInput, output, tensor => tensor.tanh()))),
        };

    private SiteProbe MaskProbe(DeclaredModule module, int call, int @event, Tensor output)
    {
        long unitDimension = UnitReductions.UnitDimension(output, module.Units, options.UnitDimension);
        return new SiteProbe
        {
            Role = ProbeRole.UnitMasks, Module = module, Call = call, Event = @event, FeedingLayer = module,
            Units = UnitReductions.Units(output, unitDimension),
            UnitMaximaEntry = Queued(UnitReductions.PerUnitMaximum(output, unitDimension)),
            SaturatedUnitsEntry = Queued(UnitReductions.SaturatedUnitMask(output, unitDimension, options.SaturationThreshold)),
        };
    }

    /// <summary>The entry of a per-unit segment, or −1 where the batch was empty and there is none.</summary>
    private int Queued(Tensor? segment) => segment is null ? -1 : Pass.Statistics.Add(segment);
}
