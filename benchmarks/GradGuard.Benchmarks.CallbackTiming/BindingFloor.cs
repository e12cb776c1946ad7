using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// What binding costs an analyzer that reads the code of the compilation's members, in place of GradGuard's analyzers
    /// (which the harness then leaves out of the build): <c>GetOperation</c> on every member with code, through the
    /// semantic models the driver shares. A member the compiler has already compiled, or whose operations another analyzer
    /// already asked for, is cheap there; one it has not yet reached is bound from scratch. Two ways:
    /// <list type="bullet">
    /// <item><see cref="FirstFile"/>: every member of the compilation from the first file's semantic-model action, where
    /// GG0001–GG0003's and GG0005's model is built.</item>
    /// <item><see cref="OwnFile"/>: each file's members from that file's own action, which the driver runs once the
    /// compiler has compiled the file.</item>
    /// </list>
    /// </summary>
    public static class BindingFloor
    {
        /// <summary>The MSBuild property that asks for this build in place of GradGuard's, set to one of the ways.</summary>
        public const string Property = "GradGuardBindingFloor";

        public const string FirstFile = "first-file";

        public const string OwnFile = "own-file";

        private static readonly CallbackClock Clock = new CallbackClock();
        private static int members;

        internal static double CpuMilliseconds => Clock.CpuMilliseconds;

        internal static int Members => Volatile.Read(ref members);

        internal static bool IsAskedFor(AnalyzerOptions options) => Way(options) is FirstFile or OwnFile;

        internal static void Register(CompilationStartAnalysisContext start)
        {
            var compilation = start.Compilation;
            var firstFile = Way(start.Options) == FirstFile;
            int files = 0;
            start.RegisterSemanticModelAction(Clock.Timed<SemanticModelAnalysisContext>(file =>
            {
                if (!firstFile)
                {
                    Bind(file.SemanticModel, file.CancellationToken);
                }
                else if (Interlocked.Increment(ref files) == 1)
                {
                    foreach (var tree in compilation.SyntaxTrees)
                    {
#pragma warning disable RS1030 // As GradGuard does: the driver's shared model of each file.
                        Bind(compilation.GetSemanticModel(tree), file.CancellationToken);
#pragma warning restore RS1030
                    }
                }
            }));
        }

        private static string? Way(AnalyzerOptions options) =>
            options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue($"build_property.{Property}", out var value) ? value : null;

        private static void Bind(SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (var member in MembersWithCode(model.SyntaxTree))
            {
                model.GetOperation(member, cancellationToken);
                Interlocked.Increment(ref members);
            }
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
