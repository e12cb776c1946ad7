using GradGuard.Benchmarks.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Benchmarks.Tests;

/// <summary>The walk that bounds what any interpreter of the model's members pays: it must visit each operation once.</summary>
public sealed class AnalysisFloorTests
{
    [Fact]
    public void The_walk_visits_every_operation_of_every_member_once()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            class Stack
            {
                int Depth(int layers)
                {
                    var depth = layers * 2;
                    for (var i = 0; i < depth; i++)
                    {
                        layers += i > 3 ? i : -i;
                    }

                    return Sum(layers, depth);
                }

                static int Sum(int a, int b) => a + b;
            }
            """);
        var compilation = CSharpCompilation.Create("Walk", new[] { tree }, new[] { MetadataReference.CreateFromFile(typeof(object).Assembly.Location) });
        var model = compilation.GetSemanticModel(tree);
        var roots = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Select(method => model.GetOperation(method)!).ToList();

        var (_, _, operations) = AnalysisFloor.WalkingCpuMilliseconds(roots);

        Assert.Equal(2, roots.Count);
        Assert.Equal(roots.Sum(root => root.DescendantsAndSelf().Count()), operations);
        Assert.True(operations > 30, $"{operations} operations");
    }
}
