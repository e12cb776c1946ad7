using GradGuard.Analyzers;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers.Tests;

/// <summary>Code as it is being typed: the analyzer must never throw (AD0001) on it.</summary>
public class RobustnessTests
{
    public static TheoryData<string> IncompleteCode => new()
    {
        "var model = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid(), ",
        "var model = nn.Sequential(nn.Linear(",
        "var model = nn.Sequential(Missing(), nn.Tanh(), nn.Tanh(), nn.Tanh(), nn.Tanh(), nn.Linear(1, 1));",
        "var layers = new List<Module<Tensor, Tensor>>(); for (int i = 0; i < ; i++) layers.Add(nn.Linear(8, 8)); var m = nn.Sequential(layers);",
        "for (long i = 10; i > 0; i -= 0) { } var m = nn.Sequential(nn.Linear(8, 8));",
        "class Broken : Module<Tensor, Tensor> { public Broken() : base(\"b\") { } public override Tensor forward(Tensor x) => x + ; }",
        "class Loop : Module<Tensor, Tensor> { private readonly Loop inner = new Loop(); public Loop() : base(\"l\") { } public override Tensor forward(Tensor x) => inner.forward(x); }",
        "static Module<Tensor, Tensor> Forever() => Forever(); var m = nn.Sequential(Forever(), nn.Linear(1, 1));",
        "nn.init.kaiming_normal_(; var m = nn.Sequential(nn.Linear(8, 8), nn.ReLU());",
        "var m = nn.Sequential((\"a\", ), nn.Tanh());",
    };

    [Theory]
    [MemberData(nameof(IncompleteCode))]
    public Task Incomplete_code_never_makes_the_analyzer_throw(string statements) => AssertNoAnalyzerFailure(Verify.Usings + statements);

    /// <summary>Every sample model cut off every few characters, as if typed from the top.</summary>
    [Fact]
    public async Task Every_typed_prefix_of_the_sample_models_is_analysed_without_failure()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "samples", "BadModels"), "*.cs"))
        {
            var text = await File.ReadAllTextAsync(file);
            for (var length = 0; length <= text.Length; length += 23)
            {
                await AssertNoAnalyzerFailure(text[..length]);
            }
        }
    }

    private static async Task AssertNoAnalyzerFailure(string source)
    {
        var compilation = CSharpCompilation.Create(
            "Typing",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            [.. Basic.References, MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        var analyzers = compilation.WithAnalyzers([new GradientFlowAnalyzer()], new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]), onAnalyzerException: (exception, _, _) => throw exception, concurrentAnalysis: false, logAnalyzerExecutionTime: false));

        var diagnostics = await analyzers.GetAllDiagnosticsAsync();

        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    private static class Basic
    {
        public static IEnumerable<MetadataReference> References { get; } =
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => MetadataReference.CreateFromFile(p))
            .ToList();
    }
}
