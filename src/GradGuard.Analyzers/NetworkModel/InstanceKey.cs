using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// A constructor and the arguments it is given, for building each distinct instance of a block once per run: a
    /// ResNet stage that appends the same bottleneck 36 times, with the same arguments, interprets it once. Constants
    /// and tuples of them compare by value, everything else by identity.
    /// </summary>
    internal sealed class InstanceKey
    {
        private readonly IMethodSymbol? constructor;
        private readonly IReadOnlyList<Value?> arguments;

        private InstanceKey(IMethodSymbol? constructor, IReadOnlyList<Value?> arguments)
        {
            this.constructor = constructor;
            this.arguments = arguments;
        }

        public static InstanceKey For(INamedTypeSymbol type, IMethodSymbol? constructor, Arguments arguments) =>
            new(constructor?.OriginalDefinition ?? type.InstanceConstructors.FirstOrDefault(), arguments.Values);

        public override bool Equals(object? obj) =>
            obj is InstanceKey other && SymbolEqualityComparer.Default.Equals(constructor, other.constructor) && Same(arguments, other.arguments);

        public override int GetHashCode() => unchecked((SymbolEqualityComparer.Default.GetHashCode(constructor) * 31) + Hash(arguments));

        private static bool Same(IReadOnlyList<Value?> first, IReadOnlyList<Value?> second)
        {
            if (first.Count != second.Count)
            {
                return false;
            }

            for (var index = 0; index < first.Count; index++)
            {
                if (!Same(first[index], second[index]))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool Same(Value? first, Value? second) => (first, second) switch
        {
            (ConstantValue a, ConstantValue b) => a.SameAs(b),
            (TupleValue a, TupleValue b) => Same(a.Elements, b.Elements),
            _ => ReferenceEquals(first, second),
        };

        private static int Hash(IReadOnlyList<Value?> values)
        {
            var hash = 17;
            foreach (var value in values)
            {
                hash = unchecked((hash * 31) + value switch
                {
                    null => 0,
                    ConstantValue constant => constant.Value?.GetHashCode() ?? 1,
                    TupleValue tuple => Hash(tuple.Elements),
                    _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value),
                });
            }

            return hash;
        }
    }
}
