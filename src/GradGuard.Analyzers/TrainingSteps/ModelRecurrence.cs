using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.TrainingSteps
{
    /// <summary>
    /// Whether a model's class is recurrent, and through what: a TorchSharp <c>LSTM</c>/<c>GRU</c>/<c>RNN</c> anywhere in
    /// its module tree, a cell (<c>LSTMCell</c>...) applied in a loop, or any submodule applied in a loop that feeds its
    /// output back into it (an RNN written by hand from <c>Linear</c> layers). Read from the field types and the classes'
    /// syntax, so a model declared in another file costs no binding.
    /// </summary>
    internal sealed class ModelRecurrence
    {
        private const int MaxDepth = 8;

        private readonly TorchSymbols torch;
        private readonly CancellationToken cancellationToken;
        private readonly HashSet<ITypeSymbol> visiting = new(SymbolEqualityComparer.Default);

        public ModelRecurrence(TorchSymbols torch, CancellationToken cancellationToken)
        {
            this.torch = torch;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>What makes <paramref name="type"/> recurrent, as a phrase for the diagnostic; null when nothing does.</summary>
        public string? Of(ITypeSymbol type) => torch.RecurrenceOf(type) == Recurrence.Sequence
            ? $"the {type.Name} itself"
            : Part(type, 0)?.Describe();

        private RecurrentPart? Part(ITypeSymbol type, int depth)
        {
            if (depth > MaxDepth || type is not INamedTypeSymbol { TypeKind: TypeKind.Class } named || torch.IsTorchSharp(named) || !torch.IsModuleType(named) || !visiting.Add(named))
            {
                return null;
            }

            try
            {
                return PartOfModuleClass(named, depth);
            }
            finally
            {
                visiting.Remove(named);
            }
        }

        private RecurrentPart? PartOfModuleClass(INamedTypeSymbol type, int depth)
        {
            var classes = SourceClassAndBases(type).ToList();
            var applications = classes
                .SelectMany(owner => owner.DeclaringSyntaxReferences)
                .SelectMany(reference => LoopApplication.In(reference.GetSyntax(cancellationToken), cancellationToken))
                .ToList();
            foreach (var field in classes.SelectMany(owner => owner.GetMembers().OfType<IFieldSymbol>()).Where(field => !field.IsStatic))
            {
                var name = field.AssociatedSymbol?.Name ?? field.Name;
                var inLoop = applications.Where(application => application.ReceiverName == name).ToList();
                foreach (var held in HeldTypes(field.Type))
                {
                    var part = torch.RecurrenceOf(held) switch
                    {
                        Recurrence.Sequence => new RecurrentPart(name, held.Name, RecurrentPart.Form.Layer),
                        Recurrence.Cell when inLoop.Count > 0 => new RecurrentPart(name, held.Name, RecurrentPart.Form.CellInLoop),
                        _ when inLoop.Any(application => application.FeedsBack) && torch.IsModuleType(held) => new RecurrentPart(name, held.Name, RecurrentPart.Form.FeedbackLoop),
                        _ => Part(held, depth + 1)?.Under(name),
                    };
                    if (part is not null)
                    {
                        return part;
                    }
                }
            }

            return null;
        }

        private IEnumerable<INamedTypeSymbol> SourceClassAndBases(INamedTypeSymbol type)
        {
            for (var current = type; current is not null && !torch.IsTorchSharp(current) && current.DeclaringSyntaxReferences.Length > 0; current = current.BaseType)
            {
                yield return current;
            }
        }

        /// <summary>A recurrent module inside a model, by its path of fields.</summary>
        private sealed class RecurrentPart
        {
            public RecurrentPart(string path, string typeName, Form how)
            {
                Path = path;
                TypeName = typeName;
                How = how;
            }

            public enum Form
            {
                Layer,
                CellInLoop,
                FeedbackLoop,
            }

            public string Path { get; }

            public string TypeName { get; }

            public Form How { get; }

            public RecurrentPart Under(string field) => new($"{field}.{Path}", TypeName, How);

            public string Describe() => How switch
            {
                Form.Layer => $"its {TypeName} '{Path}'",
                Form.CellInLoop => $"its {TypeName} '{Path}' applied in a loop over time steps",
                _ => $"'{Path}' applied in a loop that feeds its output back into it",
            };
        }

        /// <summary>The module types a field holds: its own, or its elements' for an array, list, dictionary or TorchSharp container.</summary>
        private static IEnumerable<ITypeSymbol> HeldTypes(ITypeSymbol type) => type switch
        {
            IArrayTypeSymbol array => new[] { array.ElementType },
            INamedTypeSymbol { IsGenericType: true } generic => generic.TypeArguments.Append(generic),
            _ => new[] { type },
        };
    }
}
