using System.Text;
using Xunit.Abstractions;

namespace GradGuard.Analyzers.Robustness.Tests;

/// <summary>Legal code that stretches a network model: recursion, unbounded loops, huge stacks, unusual shapes.</summary>
public class OddCodeTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;
        """;

    private readonly ITestOutputHelper output;

    public OddCodeTests(ITestOutputHelper output) => this.output = output;

    public static TheoryData<string> Cases() => new(OddPrograms.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Odd_but_legal_code_is_analyzed_and_fixed_without_exception_hang_or_stray_location(string name)
    {
        var run = await AnalyzerHarness.CheckAsync(name, OddPrograms[name], applyFixes: true);

        output.WriteLine($"{name}: {OddPrograms[name].Sum(source => source.Length)} characters, {run.Diagnostics} diagnostics, {run.FixesComputed} fixes computed");
        Assert.Empty(run.Problems);
    }

    [Fact]
    public async Task The_harness_sees_the_diagnostics_and_fixes_it_exercises()
    {
        var run = await AnalyzerHarness.CheckAsync("top-level-statements", OddPrograms["top-level-statements"], applyFixes: true);

        Assert.True(run.Diagnostics > 0, "a stack of four sigmoids must be reported, or the harness exercises nothing");
        Assert.True(run.FixesComputed > 0, "the reported diagnostic must offer a fix, or the harness exercises no fix");
    }

    private static readonly Dictionary<string, string[]> OddPrograms = new()
    {
        ["partial-class"] = new[]
        {
            Usings + """
            partial class Net : Module<Tensor, Tensor>
            {
                private readonly Module<Tensor, Tensor> a = Sigmoid(), b = Sigmoid();
                public Net() : base("net") { RegisterComponents(); }
            }
            """,
            Usings + """
            partial class Net
            {
                private readonly Module<Tensor, Tensor> c = Sigmoid(), d = Sigmoid();
                public override Tensor forward(Tensor x) => d.call(c.call(b.call(a.call(x))));
            }
            """,
        },
        ["generic-module"] = new[]
        {
            Usings + """
            class Net<T> : Module<Tensor, Tensor> where T : Module<Tensor, Tensor>, new()
            {
                private readonly T inner = new T();
                private readonly Module<Tensor, Tensor> stack = Sequential(Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid());
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => stack.call(inner.call(x));
                static U Make<U>(Func<U> factory) => factory();
            }
            """,
        },
        ["lambdas-and-local-functions"] = new[]
        {
            Usings + """
            static class Factory
            {
                public static Module<Tensor, Tensor> Build()
                {
                    Func<Module<Tensor, Tensor>> activation = () => Sigmoid();
                    Module<Tensor, Tensor> Block(int width) => Sequential(Linear(width, width), activation());
                    var layers = Enumerable.Range(0, 8).Select(_ => Block(16)).ToArray();
                    return Sequential(layers);
                }
            }
            """,
        },
        ["recursive-helper"] = new[]
        {
            Usings + """
            static class Factory
            {
                public static Module<Tensor, Tensor> Deep(int n) => n == 0 ? Linear(4, 4) : Sequential(Deep(n - 1), Sigmoid(), Linear(4, 4));
                public static Module<Tensor, Tensor> Model() => Deep(30);
            }
            """,
        },
        ["mutually-recursive-helpers"] = new[]
        {
            Usings + """
            static class Factory
            {
                public static Module<Tensor, Tensor> Even(int n) => Sequential(Linear(4, 4), Tanh(), Odd(n - 1));
                public static Module<Tensor, Tensor> Odd(int n) => n <= 0 ? Linear(4, 4) : Sequential(Linear(4, 4), ReLU(), Even(n - 1));
                public static Module<Tensor, Tensor> Model() => Even(40);
            }
            """,
        },
        ["huge-loop-bounds"] = new[]
        {
            Usings + """
            static class Factory
            {
                public static Module<Tensor, Tensor> Model()
                {
                    var layers = new List<Module<Tensor, Tensor>>();
                    for (int i = 0; i < int.MaxValue; i++)
                    {
                        for (long j = 0; j < long.MaxValue; j++)
                        {
                            layers.Add(Linear(4, 4));
                            layers.Add(Sigmoid());
                        }
                    }
                    return Sequential(layers);
                }
            }
            """,
        },
        ["non-constant-and-odd-loops"] = new[]
        {
            Usings + """
            static class Factory
            {
                public static Module<Tensor, Tensor> Model(int depth)
                {
                    var layers = new List<Module<Tensor, Tensor>>();
                    for (int i = 0; i < depth; i++) layers.Add(Linear(4, 4));
                    for (int i = 10; i > 0; i -= 0) layers.Add(ReLU());
                    for (;;) { layers.Add(Tanh()); if (layers.Count > 3) break; }
                    int k = 0;
                    while (k++ < 100) layers.Add(Sigmoid());
                    do { layers.Add(Linear(4, 4)); } while (layers.Count < depth);
                    foreach (var width in new[] { 4, 8, 16 }) layers.Add(Linear(width, width));
                    return Sequential(layers.ToArray());
                }
            }
            """,
        },
        ["sequential-of-10000-layers"] = new[] { Usings + $$"""
            static class Factory
            {
                public static Module<Tensor, Tensor> Model() => Sequential({{string.Join(", ", Enumerable.Range(0, 10_000).Select(index => index % 2 == 0 ? "Linear(4, 4)" : "Sigmoid()"))}});
            }
            """ },
        ["only-attributes"] = new[] { """
            [assembly: System.Reflection.AssemblyDescription("only attributes")]
            [module: System.Diagnostics.CodeAnalysis.SuppressMessage("x", "y")]
            """ },
        ["top-level-statements"] = new[]
        {
            Usings + """

            var model = Sequential(Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 4), Sigmoid(), Linear(4, 1));
            for (int i = 0; i < 3; i++) model = Sequential(model, Tanh());
            Console.WriteLine(model);
            """,
        },
        ["user-types-named-like-torch"] = new[]
        {
            """
            namespace TorchSharp { public static class torch { public static class nn { public static object Sigmoid() => new object(); public static object Sequential(params object[] m) => m; } } }
            class Sigmoid { }
            static class Factory { static object Model() => TorchSharp.torch.nn.Sequential(TorchSharp.torch.nn.Sigmoid(), TorchSharp.torch.nn.Sigmoid(), TorchSharp.torch.nn.Sigmoid(), TorchSharp.torch.nn.Sigmoid()); }
            """,
        },
        ["deep-expression-nesting"] = new[] { Usings + $$"""
            class Net : Module<Tensor, Tensor>
            {
                public Net() : base("net") { }
                public override Tensor forward(Tensor x) => {{new StringBuilder().Insert(0, "x.sigmoid().tanh().", 500)}}relu();
            }
            """ },
        ["switch-deconstruction-and-iterators"] = new[]
        {
            Usings + """
            static class Factory
            {
                static Module<Tensor, Tensor> Pick(string name) => name switch { "s" => Sigmoid(), "t" => Tanh(), _ => ReLU() };
                static IEnumerable<Module<Tensor, Tensor>> Layers() { while (true) { yield return Linear(4, 4); yield return Pick("s"); } }
                public static Module<Tensor, Tensor> Model()
                {
                    var (first, second) = (Linear(4, 4), Sigmoid());
                    return Sequential(new[] { first, second }.Concat(Layers().Take(20)).ToArray());
                }
            }
            """,
        },
    };
}
