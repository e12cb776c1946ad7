using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>One network recovered from source: its forward path from input to output, and where to report on it.</summary>
    internal sealed class Network
    {
        private LayerCensus? census;

        public Network(string name, Location location, ImmutableArray<Node> path)
        {
            Name = name;
            Location = location;
            Path = path;
        }

        /// <summary>The class name, or <c>Sequential</c> for a network built inline.</summary>
        public string Name { get; }

        /// <summary>The <c>Sequential</c> call or the class name: the place a developer would change.</summary>
        public Location Location { get; }

        public ImmutableArray<Node> Path { get; }

        /// <summary>What the path holds, counted when a rule first asks: after the interpreter has set every layer's init.</summary>
        public LayerCensus Census => census ??= LayerCensus.Of(Path);
    }
}
