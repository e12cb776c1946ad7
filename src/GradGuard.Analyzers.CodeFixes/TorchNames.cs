using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GradGuard.Analyzers.CodeFixes
{
    /// <summary>How inserted code names TorchSharp's <c>torch</c> class where it goes.</summary>
    internal static class TorchNames
    {
        private static readonly string[] Candidates = { "torch", "TorchSharp.torch" };

        /// <summary>The shortest of <c>torch</c>, <c>TorchSharp.torch</c> that binds to TorchSharp's class at <paramref name="position"/>.</summary>
        public static string TorchAt(SemanticModel model, int position)
        {
            var torch = model.Compilation.GetTypeByMetadataName("TorchSharp.torch");
            return Candidates.FirstOrDefault(candidate => SymbolEqualityComparer.Default.Equals(
                    model.GetSpeculativeSymbolInfo(position, SyntaxFactory.ParseExpression(candidate), SpeculativeBindingOption.BindAsExpression).Symbol,
                    torch))
                ?? "global::TorchSharp.torch";
        }
    }
}
