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
        private readonly List<UnitInterpretation> interpretations = new();
        private readonly HashSet<ISymbol> reached = new(SymbolEqualityComparer.Default);
        private TorchSymbols? torch;
        private List<NetworkUnit>? units;
        private int next;
        private int inFlight;
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
                        unit = Unjudged();
                        if (unit is null)
                        {
                            networks = Kept();
                            Monitor.PulseAll(gate);
                            return networks.Value;
                        }
                    }

                    if (unit is null)
                    {
                        // The last units are being run by other threads: wait for them, waking now and then for cancellation.
                        Monitor.Wait(gate, 20);
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
                    Monitor.PulseAll(gate);
                }

                throw;
            }

            lock (gate)
            {
                interpretations.Add(interpretation);
                reached.UnionWith(interpretation.Reached);
                inFlight--;

                // Callers wait only once no unit is left to take, for the last ones in flight: waking them after every
                // unit would have each contend for the lock (spinning on a core) only to wait again.
                if (inFlight == 0)
                {
                    Monitor.PulseAll(gate);
                }
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
        private NetworkUnit? Unjudged()
        {
            var run = new HashSet<ISymbol>(interpretations.Select(i => i.Unit.Symbol), SymbolEqualityComparer.Default);
            var reachedByKept = new HashSet<ISymbol>(KeptInterpretations().SelectMany(i => i.Reached), SymbolEqualityComparer.Default);
            return units!.FirstOrDefault(u => !run.Contains(u.Symbol) && !reachedByKept.Contains(u.Symbol));
        }

        /// <summary>
        /// The units judged as networks of their own, in the order they were found: those no kept unit reaches. A unit
        /// that nothing reaches is kept, what it reaches is not, and so on; where units reach each other in a ring, the
        /// first is kept. The result does not depend on the order the threads ran the units in.
        /// </summary>
        private List<UnitInterpretation> KeptInterpretations()
        {
            var ordered = InUnitOrder(interpretations);
            var byUnit = ordered.ToDictionary(i => i.Unit.Symbol, i => i, SymbolEqualityComparer.Default);
            var reachers = ordered.ToDictionary(i => i, _ => new List<UnitInterpretation>());
            foreach (var interpretation in ordered)
            {
                foreach (var symbol in interpretation.Reached)
                {
                    if (byUnit.TryGetValue(symbol, out var target) && target != interpretation)
                    {
                        reachers[target].Add(interpretation);
                    }
                }
            }

            var kept = new List<UnitInterpretation>();
            var dropped = new HashSet<UnitInterpretation>();
            var undecided = new List<UnitInterpretation>(ordered);
            while (undecided.Count > 0)
            {
                var keep = undecided.FirstOrDefault(i => reachers[i].All(dropped.Contains)) ?? undecided[0];
                kept.Add(keep);
                undecided.Remove(keep);
                foreach (var symbol in keep.Reached)
                {
                    if (byUnit.TryGetValue(symbol, out var inside) && undecided.Remove(inside))
                    {
                        dropped.Add(inside);
                    }
                }
            }

            return InUnitOrder(kept);
        }

        private List<UnitInterpretation> InUnitOrder(IEnumerable<UnitInterpretation> unordered)
        {
            var ordered = unordered.ToList();
            ordered.Sort((a, b) => unitIndex[a.Unit.Symbol] - unitIndex[b.Unit.Symbol]);
            return ordered;
        }

        private ImmutableArray<Network> Kept() => KeptInterpretations().SelectMany(i => i.Networks).ToImmutableArray();
    }
}
