using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// The networks of a whole compilation, each modelled once from the outermost code that builds it. A block class
    /// is judged inside the networks that use it, a builder inside the code that calls it, so init applied there
    /// (a parent module's <c>named_modules()</c> loop, <c>model.apply(weights_init)</c> in the program) reaches its
    /// layers; only a unit that nothing else in the compilation reaches is a network of its own.
    /// </summary>
    /// <remarks>
    /// The driver analyses files in parallel, and every file's diagnostics need the whole model. Rather than wait for
    /// the first file to build it, each file's action takes the next unit nobody has run yet, so the threads the driver
    /// gives GradGuard share the work instead of queueing behind one of them.
    /// </remarks>
    internal sealed class CompilationNetworks
    {
        private readonly object gate = new();
        private readonly Compilation compilation;
        private readonly OperationBodies bodies;
        private readonly Dictionary<ISymbol, int> unitIndex = new(SymbolEqualityComparer.Default);
        private readonly Stack<NetworkUnit> returned = new();
        private readonly HashSet<ISymbol> reached = new(SymbolEqualityComparer.Default);
        private TorchSymbols? torch;
        private List<NetworkUnit>? units;

        /// <summary>
        /// Where each unit's interpretation is kept, by the unit's place in <see cref="units"/>: that place, except for a
        /// symbol found twice, whose units share the last one (<see cref="unitIndex"/>).
        /// </summary>
        private int[] unitPositions = System.Array.Empty<int>();

        /// <summary>Each unit's interpretation at the unit's index, once it has run: the units in their order without a sort.</summary>
        private UnitInterpretation?[] interpreted = System.Array.Empty<UnitInterpretation?>();
        private int next;
        private int inFlight;
        private int waiting;
        private ImmutableArray<Network>? networks;

        public CompilationNetworks(Compilation compilation, SemanticModels models)
        {
            this.compilation = compilation;
            bodies = new OperationBodies(models);
        }

        /// <summary>The compilation's networks, found together by every caller that arrives before they are known.</summary>
        public ImmutableArray<Network> Find(CancellationToken cancellationToken)
        {
            while (true)
            {
                NetworkUnit? unit;
                lock (gate)
                {
                    if (networks is { } found)
                    {
                        return found;
                    }

                    units ??= FindUnits(cancellationToken);
                    unit = Take();
                    if (unit is null && inFlight == 0)
                    {
                        // Decided once for both questions: with nothing left unjudged, the units kept are the networks.
                        var kept = KeptPositions(out var reachedPositions);
                        unit = Unjudged(kept, reachedPositions);
                        if (unit is null)
                        {
                            networks = kept.SelectMany(position => interpreted[position]!.Networks).ToImmutableArray();
                            WakeWaiting();
                            return networks.Value;
                        }
                    }

                    if (unit is null)
                    {
                        // The last units are being run by other threads: wait for them, waking now and then for cancellation.
                        waiting++;
                        Monitor.Wait(gate, 20);
                        waiting--;
                        cancellationToken.ThrowIfCancellationRequested();
                        continue;
                    }

                    inFlight++;
                }

                Run(unit, cancellationToken);
            }
        }

        /// <summary>
        /// The units, and TorchSharp's symbols first: resolved here rather than when the compilation starts, once the
        /// compiler has bound the references, which is most of what resolving them costs.
        /// </summary>
        private List<NetworkUnit> FindUnits(CancellationToken cancellationToken)
        {
            torch = TorchSymbols.Resolve(compilation);
            var found = torch is null ? new List<NetworkUnit>() : NetworkUnits.Find(compilation, torch, bodies, cancellationToken);
            for (var index = 0; index < found.Count; index++)
            {
                unitIndex[found[index].Symbol] = index;
            }

            unitPositions = new int[found.Count];
            for (var index = 0; index < found.Count; index++)
            {
                unitPositions[index] = unitIndex[found[index].Symbol];
            }

            interpreted = new UnitInterpretation?[found.Count];
            return found;
        }

        private void Run(NetworkUnit unit, CancellationToken cancellationToken)
        {
            UnitInterpretation interpretation;
            try
            {
                interpretation = NetworkInterpreter.Interpret(unit, torch!, bodies, cancellationToken);
            }
            catch
            {
                lock (gate)
                {
                    // Another caller runs it again: a cancelled analysis of one file leaves the model to the next.
                    returned.Push(unit);
                    inFlight--;
                    WakeWaiting();
                }

                throw;
            }

            lock (gate)
            {
                interpreted[unitIndex[unit.Symbol]] = interpretation;
                reached.UnionWith(interpretation.Reached);
                inFlight--;

                // Callers wait only once no unit is left to take, for the last ones in flight: waking them after every
                // unit would have each contend for the lock (spinning on a core) only to wait again.
                if (inFlight == 0)
                {
                    WakeWaiting();
                }
            }
        }

        private void WakeWaiting()
        {
            if (waiting > 0)
            {
                Monitor.PulseAll(gate);
            }
        }

        /// <summary>The next unit in order that no unit run so far has reached: one reached was modelled inside it.</summary>
        private NetworkUnit? Take()
        {
            if (returned.Count > 0)
            {
                return returned.Pop();
            }

            while (next < units!.Count)
            {
                var unit = units[next++];
                if (!reached.Contains(unit.Symbol))
                {
                    return unit;
                }
            }

            return null;
        }

        /// <summary>
        /// A unit that was skipped because a unit run earlier reached it, where that unit turned out to be reached
        /// itself and none of the units kept reached this one: it is judged on its own after all.
        /// </summary>
        private NetworkUnit? Unjudged(List<int> kept, List<int>?[] reachedPositions)
        {
            var reachedByKept = new bool[interpreted.Length];
            foreach (var position in kept)
            {
                foreach (var reachedPosition in reachedPositions[position]!)
                {
                    reachedByKept[reachedPosition] = true;
                }
            }

            for (var index = 0; index < units!.Count; index++)
            {
                var position = unitPositions[index];
                if (interpreted[position] is null && !reachedByKept[position])
                {
                    return units[index];
                }
            }

            return null;
        }

        /// <summary>
        /// The positions of the units judged as networks of their own, in the order they were found: those no kept unit
        /// reaches. A unit that nothing reaches is kept, what it reaches is not, and so on; where units reach each other
        /// in a ring, the first is kept. The result does not depend on the order the threads ran the units in.
        /// <paramref name="reachedPositions"/> gives, for each unit that has run, the other units it reached, run or not.
        /// </summary>
        /// <remarks>
        /// Each unit counts the units reaching it that have run and are not yet dropped; the next kept is the first whose
        /// count is zero, else the first undecided. Every reach is followed once, so a compilation of thousands of units
        /// is decided in time proportional to its units and reaches.
        /// </remarks>
        private List<int> KeptPositions(out List<int>?[] reachedPositions)
        {
            // Positions are the units' indices; a unit that has not run takes no part, other than being reached.
            var count = interpreted.Length;
            reachedPositions = new List<int>?[count];
            var reachers = new int[count];
            var undecided = new bool[count];
            for (var index = 0; index < count; index++)
            {
                if (interpreted[index] is not { } interpretation)
                {
                    continue;
                }

                undecided[index] = true;
                var inside = reachedPositions[index] = new List<int>();
                foreach (var symbol in interpretation.Reached)
                {
                    if (unitIndex.TryGetValue(symbol, out var target) && target != index)
                    {
                        inside.Add(target);
                        if (interpreted[target] is not null)
                        {
                            reachers[target]++;
                        }
                    }
                }
            }

            var ready = new ReadyUnits();
            for (var index = 0; index < count; index++)
            {
                if (undecided[index] && reachers[index] == 0)
                {
                    ready.Add(index);
                }
            }

            var kept = new List<int>();
            var firstUndecided = 0;
            while (true)
            {
                while (firstUndecided < count && !undecided[firstUndecided])
                {
                    firstUndecided++;
                }

                if (firstUndecided == count)
                {
                    break;
                }

                var keep = ready.TakeFirst(undecided) ?? firstUndecided;
                kept.Add(keep);
                undecided[keep] = false;
                foreach (var inside in reachedPositions[keep]!)
                {
                    if (undecided[inside])
                    {
                        undecided[inside] = false;
                        foreach (var reachedByDropped in reachedPositions[inside]!)
                        {
                            if (interpreted[reachedByDropped] is not null && --reachers[reachedByDropped] == 0 && undecided[reachedByDropped])
                            {
                                ready.Add(reachedByDropped);
                            }
                        }
                    }
                }
            }

            kept.Sort();
            return kept;
        }

        /// <summary>
        /// Positions of units that no undropped unit reaches, smallest first: a binary heap on a list of ints, whose code
        /// the runtime already has, where a sorted set of ints would be compiled afresh in every compiler process.
        /// </summary>
        private sealed class ReadyUnits
        {
            private readonly List<int> heap = new();

            public void Add(int position)
            {
                heap.Add(position);
                for (var child = heap.Count - 1; child > 0;)
                {
                    var parent = (child - 1) / 2;
                    if (heap[parent] <= heap[child])
                    {
                        break;
                    }

                    (heap[parent], heap[child]) = (heap[child], heap[parent]);
                    child = parent;
                }
            }

            /// <summary>The smallest position still undecided; positions decided meanwhile are dropped on the way.</summary>
            public int? TakeFirst(bool[] undecided)
            {
                while (heap.Count > 0)
                {
                    var first = heap[0];
                    var last = heap[heap.Count - 1];
                    heap.RemoveAt(heap.Count - 1);
                    if (heap.Count > 0)
                    {
                        heap[0] = last;
                        SiftDown();
                    }

                    if (undecided[first])
                    {
                        return first;
                    }
                }

                return null;
            }

            private void SiftDown()
            {
                for (var parent = 0; ;)
                {
                    var smallest = parent;
                    for (var child = (2 * parent) + 1; child <= (2 * parent) + 2 && child < heap.Count; child++)
                    {
                        if (heap[child] < heap[smallest])
                        {
                            smallest = child;
                        }
                    }

                    if (smallest == parent)
                    {
                        return;
                    }

                    (heap[parent], heap[smallest]) = (heap[smallest], heap[parent]);
                    parent = smallest;
                }
            }
        }
    }
}
