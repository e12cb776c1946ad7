using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        /// <summary>The init calls made on each path of the alternatives being run, innermost last.</summary>
        private readonly List<Dictionary<LayerNode, WeightInit>> initJournals = new();

        /// <summary>
        /// Runs branches the source does not decide between, each from the same state, and joins what they leave:
        /// modules appended to a container become one <see cref="JoinKind.Alternative"/> node, a tensor's paths
        /// likewise, other locals and fields keep a value only where the branches agree, and a weight keeps an init
        /// only where they agree. State is joined over the branches that go on past the branching; if none does, the
        /// body has returned (or left its loop) on every path.
        /// </summary>
        private void RunAlternatives(Frame frame, IReadOnlyList<System.Action> branches)
        {
            var containers = Containers(frame);
            var locals = frame.SnapshotLocals();
            var fields = new Dictionary<ISymbol, Value>(frame.Fields, SymbolEqualityComparer.Default);
            var outcomes = new List<Outcome>();
            foreach (var branch in branches)
            {
                frame.RestoreLocals(locals);
                Restore(frame.Fields, fields);
                frame.HasReturned = false;
                frame.Exit = LoopExit.None;
                initJournals.Add(new Dictionary<LayerNode, WeightInit>());
                branch();
                var journal = initJournals[initJournals.Count - 1];
                initJournals.RemoveAt(initJournals.Count - 1);
                outcomes.Add(new Outcome(
                    frame.SnapshotLocals(),
                    new Dictionary<ISymbol, Value>(frame.Fields, SymbolEqualityComparer.Default),
                    containers.Select(TakeAppended).ToList(),
                    journal,
                    frame.HasReturned,
                    frame.Exit));
            }

            foreach (var layer in outcomes.SelectMany(o => o.Inits.Keys).Distinct().ToList())
            {
                var before = CurrentInit(layer);
                SetInit(layer, outcomes.Select(o => o.Inits.TryGetValue(layer, out var init) ? init : before).Aggregate(WeightInit.Join));
            }

            var goingOn = outcomes.Where(o => !o.HasReturned && o.Exit == LoopExit.None).ToList();
            if (goingOn.Count == 0)
            {
                frame.RestoreLocals(outcomes[0].Locals);
                Restore(frame.Fields, outcomes[0].Fields);
                frame.HasReturned = outcomes.All(o => o.HasReturned);
                frame.Exit = frame.HasReturned ? LoopExit.None : outcomes.Any(o => o.Exit == LoopExit.Break) ? LoopExit.Break : LoopExit.Continue;
                return;
            }

            frame.HasReturned = false;
            frame.Exit = LoopExit.None;
            frame.RestoreLocals(JoinState(goingOn.Select(o => o.Locals).ToList()));
            Restore(frame.Fields, JoinState(goingOn.Select(o => o.Fields).ToList()));
            for (var index = 0; index < containers.Count; index++)
            {
                AppendAlternatives(containers[index].Container, goingOn.Select(o => o.Appended[index]).ToList());
            }
        }

        private static void Restore(Dictionary<ISymbol, Value> target, Dictionary<ISymbol, Value> source)
        {
            target.Clear();
            foreach (var entry in source)
            {
                target[entry.Key] = entry.Value;
            }
        }

        /// <summary>The module and value containers a body can append to: those its locals and instance hold, each once.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private static List<ContainerLength> Containers(Frame frame)
        {
            var containers = new List<ContainerLength>();
            AddContainers(containers, frame.Locals.Values);
            AddContainers(containers, frame.Fields.Values);
            return containers;
        }

        private static void AddContainers(List<ContainerLength> containers, Dictionary<ISymbol, Value>.ValueCollection values)
        {
            foreach (var value in values)
            {
                var length = value switch
                {
                    ModuleValue module => module.Nodes.Count,
                    SequenceValue sequence => sequence.Elements.Count,
                    _ => -1,
                };
                if (length >= 0 && !IsListed(containers, value))
                {
                    containers.Add(new ContainerLength(value, length));
                }
            }
        }

        /// <summary>A frame holds a handful of containers: a scan of them costs less than a set made for every loop and branch.</summary>
        private static bool IsListed(List<ContainerLength> containers, Value value)
        {
            foreach (var container in containers)
            {
                if (ReferenceEquals(container.Container, value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>What a branch appended to a container, taken out of it again so the next branch starts from the same list.</summary>
        private static List<object?> TakeAppended(ContainerLength container)
        {
            switch (container.Container)
            {
                case ModuleValue module when module.Nodes.Count > container.Length:
                    var nodes = module.Nodes.Skip(container.Length).Cast<object?>().ToList();
                    module.Nodes.RemoveRange(container.Length, nodes.Count);
                    return nodes;
                case SequenceValue sequence when sequence.Elements.Count > container.Length:
                    var elements = sequence.Elements.Skip(container.Length).Cast<object?>().ToList();
                    sequence.Elements.RemoveRange(container.Length, elements.Count);
                    return elements;
                default:
                    return new List<object?>();
            }
        }

        private static void AppendAlternatives(Value container, List<List<object?>> appended)
        {
            if (appended.All(a => a.Count == 0))
            {
                return;
            }

            if (container is ModuleValue module)
            {
                var paths = appended.Select(a => a.Cast<Node>().ToImmutableArray()).ToList();
                if (paths.All(p => p.SequenceEqual(paths[0])))
                {
                    module.Nodes.AddRange(paths[0]);
                }
                else
                {
                    module.Nodes.Add(new BranchNode(paths.Distinct(PathComparer.Instance).ToImmutableArray(), JoinKind.Alternative));
                }

                return;
            }

            var sequence = (SequenceValue)container;
            if (appended.Any(a => a.Count != appended[0].Count))
            {
                sequence.IsComplete = false;
                return;
            }

            for (var index = 0; index < appended[0].Count; index++)
            {
                sequence.Elements.Add(Join(appended.Select(a => (Value?)a[index]).ToList()));
            }
        }

        private static Dictionary<ISymbol, Value> JoinState(List<Dictionary<ISymbol, Value>> states)
        {
            var joined = new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default);
            foreach (var symbol in states[0].Keys)
            {
                if (states.All(s => s.ContainsKey(symbol)) && Join(states.Select(s => (Value?)s[symbol]).ToList()) is { } value)
                {
                    joined[symbol] = value;
                }
            }

            return joined;
        }

        /// <summary>
        /// The value a variable has after paths the source does not decide between: the same value, constants that
        /// agree, tensors as alternative paths, modules (or a module and nothing) as alternative layers; else unknown.
        /// </summary>
        private static Value? Join(IReadOnlyList<Value?> values)
        {
            if (values.Count == 1)
            {
                // The usual case, a body with one return: no enumerations (and closures) of the list to find what it is.
                return values[0];
            }

            if (values.Count == 0 || values.Any(v => v is null))
            {
                return null;
            }

            var first = values[0]!;
            if (values.All(v => ReferenceEquals(v, first)))
            {
                return first;
            }

            if (values.All(v => v is ConstantValue constant && constant.SameAs((first as ConstantValue)!)))
            {
                return first;
            }

            if (values.All(v => v is TensorValue))
            {
                return Merge(values.Cast<TensorValue>().ToList(), JoinKind.Alternative);
            }

            if (values.All(v => v is ModuleValue || v is ConstantValue { IsNull: true }) && values.Any(v => v is ModuleValue))
            {
                var paths = values.Select(v => v is ModuleValue module ? module.Nodes.ToImmutableArray() : ImmutableArray<Node>.Empty).Distinct(PathComparer.Instance).ToImmutableArray();
                return paths.Length == 1 ? new ModuleValue(paths[0]) : new ModuleValue(new[] { new BranchNode(paths, JoinKind.Alternative) });
            }

            return null;
        }

        /// <summary>The init a layer has at this point of the run, inside the alternatives being run.</summary>
        private WeightInit CurrentInit(LayerNode layer)
        {
            for (var index = initJournals.Count - 1; index >= 0; index--)
            {
                if (initJournals[index].TryGetValue(layer, out var init))
                {
                    return init;
                }
            }

            return layer.Init;
        }

        private void SetInit(LayerNode layer, WeightInit init)
        {
            if (initJournals.Count > 0)
            {
                initJournals[initJournals.Count - 1][layer] = init;
            }
            else
            {
                layer.Init = init;
            }
        }

        private sealed class ContainerLength
        {
            public ContainerLength(Value container, int length)
            {
                Container = container;
                Length = length;
            }

            public Value Container { get; }

            public int Length { get; }
        }

        private sealed class Outcome
        {
            public Outcome(Dictionary<ISymbol, Value> locals, Dictionary<ISymbol, Value> fields, List<List<object?>> appended, Dictionary<LayerNode, WeightInit> inits, bool hasReturned, LoopExit exit)
            {
                Locals = locals;
                Fields = fields;
                Appended = appended;
                Inits = inits;
                HasReturned = hasReturned;
                Exit = exit;
            }

            public Dictionary<ISymbol, Value> Locals { get; }

            public Dictionary<ISymbol, Value> Fields { get; }

            public List<List<object?>> Appended { get; }

            public Dictionary<LayerNode, WeightInit> Inits { get; }

            public bool HasReturned { get; }

            public LoopExit Exit { get; }
        }

        /// <summary>Paths equal node for node, so two alternatives that append the same layers stay one.</summary>
        private sealed class PathComparer : IEqualityComparer<ImmutableArray<Node>>
        {
            public static readonly PathComparer Instance = new();

            public bool Equals(ImmutableArray<Node> x, ImmutableArray<Node> y) => x.SequenceEqual(y);

            public int GetHashCode(ImmutableArray<Node> path) => path.Length == 0 ? 0 : path[0].GetHashCode() ^ path.Length;
        }
    }
}
