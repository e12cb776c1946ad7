using GradGuard.Analyzers.NetworkModel;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GradGuard.Analyzers.Tests;

/// <summary>
/// What the network model keeps for rules that judge an init by its scale: the explicit distribution with its
/// arguments as the source gives them, and the layer's fan-in and fan-out as <c>torch.nn.init</c> computes them.
/// </summary>
public class NetworkModelTests
{
    [Fact]
    public void Explicit_distributions_keep_their_arguments_and_layers_their_fans()
    {
        var layers = LayersOf("""
            static class Program
            {
                static Sequential Build()
                {
                    const int fanIn = 512;
                    var dense = nn.Linear(fanIn, 256);
                    var grouped = nn.Conv2d(64, 128, 3, groups: 2);
                    var rectangular = nn.Conv2d(16, 32, (3, 5));
                    var upsampling = nn.ConvTranspose2d(128, 64, 4);
                    var constant = nn.Linear(10, 10);
                    nn.init.normal_(dense.weight, std: Math.Sqrt(2.0 / fanIn), mean: 0.0);
                    nn.init.uniform_(grouped.weight, -0.1, 0.1);
                    rectangular.weight.normal_(0, 0.02);
                    nn.init.trunc_normal_(upsampling.weight, std: 0.02);
                    nn.init.constant_(constant.weight, 0.5);
                    return nn.Sequential(dense, grouped, rectangular, upsampling, constant);
                }
            }
            """);

        var dense = layers["Linear"][0];
        Assert.Equal((InitDistribution.Normal, 0.0, Math.Sqrt(2.0 / 512)), (dense.Init.Distribution, dense.Init.Mean, dense.Init.Std));
        Assert.Equal((512L, 256L), (dense.Shape!.FanIn, dense.Shape.FanOut));

        var grouped = layers["Conv2d"][0];
        Assert.Equal((InitDistribution.Uniform, -0.1, 0.1), (grouped.Init.Distribution, grouped.Init.Low, grouped.Init.High));
        Assert.Equal((64L / 2 * 9, 128L * 9), (grouped.Shape!.FanIn, grouped.Shape.FanOut));

        var rectangular = layers["Conv2d"][1];
        Assert.Equal((InitDistribution.Normal, 0.0, 0.02), (rectangular.Init.Distribution, rectangular.Init.Mean, rectangular.Init.Std));
        Assert.Equal((16L * 15, 32L * 15), (rectangular.Shape!.FanIn, rectangular.Shape.FanOut));

        var upsampling = layers["ConvTranspose2d"][0];
        Assert.Equal((InitDistribution.TruncatedNormal, 0.0, 0.02, -2.0, 2.0), (upsampling.Init.Distribution, upsampling.Init.Mean, upsampling.Init.Std, upsampling.Init.Low, upsampling.Init.High));
        Assert.Equal((64L * 16, 128L * 16), (upsampling.Shape!.FanIn, upsampling.Shape.FanOut));

        var constant = layers["Linear"][1];
        Assert.Equal((InitDistribution.Constant, 0.5), (constant.Init.Distribution, constant.Init.Constant));
    }

    [Fact]
    public void Sizes_the_source_does_not_give_leave_the_fans_unknown()
    {
        var layers = LayersOf("""
            static class Program
            {
                static Sequential Build(int width) => nn.Sequential(nn.Linear(width, 10), nn.Conv2d(3, 8, 3));
            }
            """);

        Assert.Equal((null, 10L), (layers["Linear"][0].Shape!.FanIn, layers["Linear"][0].Shape!.FanOut));
        Assert.Equal(InitScheme.TorchSharpDefault, layers["Conv2d"][0].Init.Scheme);
        Assert.Equal(3L * 9, layers["Conv2d"][0].Shape!.FanIn);
    }

    /// <summary>The weight layers of the networks a program builds, by TorchSharp type, in the order they were built.</summary>
    private static Dictionary<string, List<LayerNode>> LayersOf(string program)
    {
        var compilation = CSharpCompilation.Create(
            "Model",
            [CSharpSyntaxTree.ParseText(TorchSharpTestSource.Usings + program, new CSharpParseOptions(LanguageVersion.Latest))],
            AnalyzerCompilations.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var networks = new CompilationNetworks(compilation, new SemanticModels(compilation)).Find(CancellationToken.None);
        return NodeTraversal.Layers(networks.SelectMany(n => n.Path))
            .Where(l => l.Kind == LayerKind.Weight)
            .OrderBy(l => l.Origin!.SpanStart)
            .GroupBy(l => l.Name)
            .ToDictionary(g => g.Key, g => g.ToList());
    }
}
