using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>What a call's arguments evaluated to, by parameter position; an argument not given or not known is null.</summary>
    internal sealed class Arguments
    {
        public static readonly Arguments None = new(Array.Empty<Value?>());

        private readonly Value?[] values;

        public Arguments(Value?[] values) => this.values = values;

        /// <summary>In parameter order.</summary>
        public IReadOnlyList<Value?> Values => values;

        /// <summary>The argument for a parameter, of the method or of its definition (their positions are the same).</summary>
        public Value? this[IParameterSymbol parameter] => parameter.Ordinal < values.Length ? values[parameter.Ordinal] : null;
    }
}
