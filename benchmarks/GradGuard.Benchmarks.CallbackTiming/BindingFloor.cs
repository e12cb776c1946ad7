using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// What binding costs an analyzer that reads the compilation's code from the first file's semantic-model action, as
    /// GG0001–GG0003's and GG0005's model does: <c>GetOperation</c> on every member with code, through the semantic models
    /// the driver shares, in place of GradGuard's analyzers (which the harness then leaves out of the build). A member the
    /// compiler has already compiled, or whose operations another analyzer already asked for, is cheap there; one it has
    /// not yet reached is bound from scratch.
    /// </summary>
    internal static class BindingFloor
    {
        /// <summary>The MSBuild property that asks for this build in place of GradGuard's.</summary>
        public const string Property = "GradGuardBindingFloor";

        private static readonly CallbackClock Clock = new CallbackClock();
        private static int members;

        public static double CpuMilliseconds => Clock.CpuMilliseconds;

        public static int Members => Volatile.Read(ref members);

        public static bool IsAskedFor(AnalyzerOptions options) =>
            options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue($"build_property.{Property}", out var value) && value == "true";

        public static void Register(CompilationStartAnalysisContext start)
        {
            int files = 0;
            start.RegisterSemanticModelAction(Clock.Timed<SemanticModelAnalysisContext>(file =>
            {
                if (Interlocked.Increment(ref files) != 1)
                {
                    return;
                }

                var compilation = start.Compilation;
                foreach (var tree in compilation.SyntaxTrees)
                {
#pragma warning disable RS1030 // As GradGuard does: the driver's shared model of each file.
                    var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                    foreach (var member in MembersWithCode(tree))
                    {
                        model.GetOperation(member, file.CancellationToken);
                        Interlocked.Increment(ref members);
                    }
                }
            }));
        }

        /// <summary>The roots of every member with code in a file: what the driver binds for operation actions.</summary>
        public static IEnumerable<SyntaxNode> MembersWithCode(SyntaxTree tree)
        {
            var root = (CompilationUnitSyntax)tree.GetRoot();
            if (root.Members.OfType<GlobalStatementSyntax>().Any())
            {
                yield return root;
            }

            foreach (var node in root.DescendantNodes(node => node is not (BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or EqualsValueClauseSyntax or ArrowExpressionClauseSyntax)))
            {
                switch (node)
                {
                    case BaseMethodDeclarationSyntax method when method.Body is not null || method.ExpressionBody is not null:
                    case AccessorDeclarationSyntax accessor when accessor.Body is not null || accessor.ExpressionBody is not null:
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } or PropertyDeclarationSyntax }:
                    case ArrowExpressionClauseSyntax { Parent: PropertyDeclarationSyntax or IndexerDeclarationSyntax }:
                        yield return node;
                        break;
                }
            }
        }
    }
}
