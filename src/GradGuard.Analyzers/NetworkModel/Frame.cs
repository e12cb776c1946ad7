using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// One running body: its locals, the instance it runs on (a module being built, a configuration object), the
    /// frame a lambda or local function captures its outer locals from, and how the body left (return, break, continue).
    /// </summary>
    internal sealed class Frame
    {
        public Frame(Dictionary<ISymbol, Value> fields, Value? instance = null, Frame? enclosing = null)
        {
            Fields = fields;
            Instance = instance;
            Enclosing = enclosing;
        }

        public Dictionary<ISymbol, Value> Locals { get; private set; } = new(SymbolEqualityComparer.Default);

        /// <summary>The fields of <see cref="Instance"/>, or of a scratch object for code that runs on none.</summary>
        public Dictionary<ISymbol, Value> Fields { get; }

        /// <summary><c>this</c>: a <see cref="ModuleValue"/> or an <see cref="ObjectValue"/>; null in static code.</summary>
        public Value? Instance { get; }

        /// <summary>The frame a lambda or local function was created in: its captured locals live there.</summary>
        public Frame? Enclosing { get; }

        private List<Value?>? returns;

        /// <summary>What each <c>return</c> reached so far returned: the body's value is their join.</summary>
        /// <remarks>Made at the first return: most frames run a constructor or an init helper, which return nothing.</remarks>
        public IReadOnlyList<Value?> Returns => (IReadOnlyList<Value?>?)returns ?? System.Array.Empty<Value?>();

        public void AddReturn(Value? value) => (returns ??= new List<Value?>()).Add(value);

        /// <summary>Every path so far has returned: the statements after this point do not run.</summary>
        public bool HasReturned { get; set; }

        /// <summary>A <c>break</c> or <c>continue</c> left the current loop body on every path.</summary>
        public LoopExit Exit { get; set; }

        public bool IsDone => HasReturned || Exit != LoopExit.None;

        /// <summary>A local of this body or, for a lambda or local function, of a body it captures from.</summary>
        public bool TryGetLocal(ISymbol symbol, out Value? value)
        {
            for (var frame = this; frame is not null; frame = frame.Enclosing)
            {
                if (frame.Locals.TryGetValue(symbol, out var found))
                {
                    value = found;
                    return true;
                }
            }

            value = null;
            return false;
        }

        /// <summary>Sets a local where it lives: a captured local in its own frame, anything else here.</summary>
        public void SetLocal(ISymbol symbol, Value? value)
        {
            var owner = this;
            for (var frame = this; frame is not null; frame = frame.Enclosing)
            {
                if (frame.Locals.ContainsKey(symbol))
                {
                    owner = frame;
                    break;
                }
            }

            if (value is null)
            {
                owner.Locals.Remove(symbol);
            }
            else
            {
                owner.Locals[symbol] = value;
            }
        }

        /// <summary>A copy of the locals, for running one of several branches from the same state.</summary>
        public Dictionary<ISymbol, Value> SnapshotLocals() => new(Locals, SymbolEqualityComparer.Default);

        public void RestoreLocals(Dictionary<ISymbol, Value> locals) => Locals = new Dictionary<ISymbol, Value>(locals, SymbolEqualityComparer.Default);
    }

    /// <summary>How a loop body was left early.</summary>
    internal enum LoopExit
    {
        None,
        Break,
        Continue,
    }
}
