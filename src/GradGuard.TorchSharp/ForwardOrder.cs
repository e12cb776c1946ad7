namespace GradGuard.TorchSharp;

/// <summary>
/// A position in a forward pass: event indices for what the hooks saw (an activation at its call's enter event, what
/// follows a call's output at its exit event + ½), and places between them for layers that ran unseen.
/// </summary>
internal readonly record struct OrderKey(double Position, int Tiebreak) : IComparable<OrderKey>
{
    public int CompareTo(OrderKey other) => Position != other.Position ? Position.CompareTo(other.Position) : Tiebreak.CompareTo(other.Tiebreak);

    public static bool operator <(OrderKey left, OrderKey right) => left.CompareTo(right) < 0;

    public static bool operator >(OrderKey left, OrderKey right) => left.CompareTo(right) > 0;

    public static bool operator <=(OrderKey left, OrderKey right) => left.CompareTo(right) <= 0;

    public static bool operator >=(OrderKey left, OrderKey right) => left.CompareTo(right) >= 0;

    /// <summary>Just after the call that left at <paramref name="exitEvent"/>: where an activation of its output sits.</summary>
    public static OrderKey After(int exitEvent) => new(exitEvent + 0.5, 0);
}

/// <summary>A layer (a module that owns parameters) placed in the pass.</summary>
internal sealed record PlacedLayer(DeclaredModule Module, LayerPlacement Placement, OrderKey Key, int Index);

/// <summary>One run of a weight layer: seen from its enter to its exit event, or placed at one key when it ran unseen.</summary>
internal sealed record WeightLayerCall(DeclaredModule Layer, int Call, OrderKey Enter, OrderKey Exit, bool Seen);

/// <summary>
/// The layers of one forward pass in the order it ran them. Layers the hooks saw are placed where they first ran.
/// A layer that has a gradient but was never seen ran through <c>forward()</c>: it is placed in declaration order
/// inside the span of its nearest ancestor that was seen, before the first call there of a module declared after
/// it. Layers that did not run (never seen and no gradient, or seen in earlier passes but not in this one) are
/// unused, and listed last in declaration order.
/// </summary>
internal sealed class ForwardOrder
{
    private ForwardOrder(IReadOnlyList<PlacedLayer> layers, IReadOnlyList<WeightLayerCall> weightLayerCalls)
    {
        Layers = layers;
        WeightLayerCalls = weightLayerCalls;
        IndexOf = layers.ToDictionary(layer => layer.Module, layer => layer.Index);
        OrderInferred = layers.Any(layer => layer.Placement == LayerPlacement.Inferred && layer.Module.IsWeightLayer);
    }

    /// <summary>Every layer: those that ran in forward order, then the unused ones.</summary>
    public IReadOnlyList<PlacedLayer> Layers { get; }

    public IReadOnlyDictionary<DeclaredModule, int> IndexOf { get; }

    /// <summary>Every run of a weight layer in the pass, in forward order.</summary>
    public IReadOnlyList<WeightLayerCall> WeightLayerCalls { get; }

    /// <summary>True when a weight layer was placed by declaration order: first/last and the per-layer decay are then inferred.</summary>
    public bool OrderInferred { get; }

    public IEnumerable<DeclaredModule> Placed(LayerPlacement placement) => Layers.Where(layer => layer.Placement == placement).Select(layer => layer.Module);

    /// <summary>Places the layers of the pass that ran <paramref name="events"/>; <paramref name="everSeen"/> holds the modules whose hooks fired in an earlier pass, which did not run when this pass does not show them.</summary>
    public static ForwardOrder Compute(ModelStructure structure, IReadOnlyList<TraceEvent> events, Func<DeclaredModule, bool> hasGradient, IReadOnlySet<int> everSeen)
    {
        var calls = Calls(events);
        var firstCall = new Dictionary<int, (int Enter, int Exit)>();
        foreach (var call in calls)
        {
            firstCall.TryAdd(call.Module, (call.Enter, call.Exit));
        }

        var placed = new List<(DeclaredModule Module, LayerPlacement Placement, OrderKey Key)>();
        foreach (var layer in structure.Layers)
        {
            if (firstCall.TryGetValue(layer.Index, out var seen))
            {
                placed.Add((layer, LayerPlacement.ForwardPass, new OrderKey(seen.Enter, 0)));
            }
            else if (!everSeen.Contains(layer.Index) && hasGradient(layer))
            {
                placed.Add((layer, LayerPlacement.Inferred, InferredKey(layer, events, firstCall)));
            }
            else
            {
                placed.Add((layer, LayerPlacement.Unused, new OrderKey(double.PositiveInfinity, layer.Index)));
            }
        }

        var layers = placed.OrderBy(layer => layer.Key).Select((layer, index) => new PlacedLayer(layer.Module, layer.Placement, layer.Key, index)).ToList();
        var weightLayerCalls = calls.Where(call => structure.Modules[call.Module].IsWeightLayer)
            .Select(call => new WeightLayerCall(structure.Modules[call.Module], call.Number, new OrderKey(call.Enter, 0), new OrderKey(call.Exit, 0), Seen: true))
            .Concat(layers.Where(layer => layer.Placement == LayerPlacement.Inferred && layer.Module.IsWeightLayer)
                .Select(layer => new WeightLayerCall(layer.Module, 1, layer.Key, layer.Key, Seen: false)))
            .OrderBy(call => call.Enter)
            .ToList();
        return new ForwardOrder(layers, weightLayerCalls);
    }

    /// <summary>Every call in the pass with its enter and exit events, in the order the calls began; a call that never returned ends with the pass.</summary>
    private static List<(int Module, int Number, int Enter, int Exit)> Calls(IReadOnlyList<TraceEvent> events)
    {
        var calls = new List<(int Module, int Number, int Enter, int Exit)>();
        var numbers = new Dictionary<int, int>();
        var open = new Stack<int>();
        for (int index = 0; index < events.Count; index++)
        {
            var traced = events[index];
            if (traced.IsEnter)
            {
                numbers[traced.Module] = numbers.GetValueOrDefault(traced.Module) + 1;
                open.Push(calls.Count);
                calls.Add((traced.Module, numbers[traced.Module], index, events.Count));
                continue;
            }

            while (open.Count > 0)
            {
                int position = open.Pop();
                if (calls[position].Module == traced.Module)
                {
                    calls[position] = calls[position] with { Exit = index };
                    break;
                }
            }
        }

        return calls;
    }

    private static OrderKey InferredKey(DeclaredModule layer, IReadOnlyList<TraceEvent> events, Dictionary<int, (int Enter, int Exit)> firstCall)
    {
        int start = -1;
        int end = events.Count;
        for (var ancestor = layer.Parent; ancestor is not null; ancestor = ancestor.Parent)
        {
            if (firstCall.TryGetValue(ancestor.Index, out var span))
            {
                (start, end) = span;
                break;
            }
        }

        int before = end;
        for (int index = start + 1; index < end; index++)
        {
            if (events[index].IsEnter && events[index].Module > layer.Index)
            {
                before = index;
                break;
            }
        }

        // After whatever follows the previous call's output (at before - ½), before the call at `before`.
        return new OrderKey(before - 0.25, 2 * layer.Index);
    }
}
