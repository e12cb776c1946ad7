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
    internal static class CompilationNetworks
    {
        public static ImmutableArray<Network> Find(Compilation compilation, TorchSymbols torch, SemanticModels models, CancellationToken cancellationToken)
        {
            var bodies = new OperationBodies(models);
            var interpretations = new List<UnitInterpretation>();
            var reached = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var unit in NetworkUnits.Find(compilation, torch, bodies, cancellationToken))
            {
                // A unit some earlier unit reached was modelled inside it, with what it was given there.
                if (reached.Contains(unit.Symbol))
                {
                    continue;
                }

                var interpretation = NetworkInterpreter.Interpret(unit, torch, bodies, cancellationToken);
                interpretations.Add(interpretation);
                reached.UnionWith(interpretation.Reached);
            }

            // A unit that ran first and was reached by a later one is judged inside that one only.
            return interpretations
                .Where(i => !reached.Contains(i.Unit.Symbol))
                .SelectMany(i => i.Networks)
                .ToImmutableArray();
        }
    }
}
