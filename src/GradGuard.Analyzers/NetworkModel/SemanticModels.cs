using System;
using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// One semantic model per file for a whole compilation, shared by every interpretation. In a build the driver
    /// hands a file's model to the analyzers with the trees the compiler bound still in it, then lets go of it once
    /// the file is analysed; a class in another file that instantiates one of the file's blocks afterwards would get
    /// a fresh model and have the block's constructor and <c>forward</c> bound a second time. Only the files
    /// GradGuard reads are kept: those with networks, and those their blocks and helpers come from.
    /// </summary>
    internal sealed class SemanticModels
    {
        private readonly Compilation compilation;
        private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> models = new();
        private readonly Func<SyntaxTree, SemanticModel> modelOf;

        public SemanticModels(Compilation compilation)
        {
            this.compilation = compilation;
            // One delegate for every lookup: a method group passed to GetOrAdd is a new delegate at each call.
            modelOf = ModelOf;
        }

        /// <summary>Keeps the model an analysis action was given, so that later lookups share what it has bound.</summary>
        public void Keep(SemanticModel model) => models.TryAdd(model.SyntaxTree, model);

        /// <summary>The model of a file of the compilation; null for a tree from outside it.</summary>
        public SemanticModel? For(SyntaxTree tree) =>
            compilation.ContainsSyntaxTree(tree) ? models.GetOrAdd(tree, modelOf) : null;

        // Outside an action's own file there is no model to be handed; the compilation's is the driver's shared one
        // while the driver still holds it.
#pragma warning disable RS1030
        private SemanticModel ModelOf(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
    }
}
