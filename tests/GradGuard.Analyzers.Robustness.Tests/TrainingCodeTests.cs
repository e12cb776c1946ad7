using Xunit.Abstractions;

namespace GradGuard.Analyzers.Robustness.Tests;

/// <summary>
/// Legal and half-written code around what GG0004, GG0006 and GG0007 read: training steps, closures, forward calls and
/// module fields in unusual shapes. None may make an analyzer or a fix throw, hang or point outside its source.
/// </summary>
public class TrainingCodeTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;
        """;

    private readonly ITestOutputHelper output;

    public TrainingCodeTests(ITestOutputHelper output) => this.output = output;

    public static TheoryData<string> Cases() => new(Programs.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Training_code_in_odd_shapes_is_analyzed_and_fixed_without_exception_hang_or_stray_location(string name)
    {
        var run = await AnalyzerHarness.CheckAsync(name, Programs[name], applyFixes: true);

        output.WriteLine($"{name}: {run.Diagnostics} diagnostics, {run.FixesComputed} fixes computed");
        Assert.Empty(run.Problems);
    }

    [Fact]
    public async Task The_cases_exercise_the_new_rules_and_their_fixes()
    {
        var run = await AnalyzerHarness.CheckAsync("recurrent-shapes", Programs["recurrent-shapes"], applyFixes: true);

        Assert.Equal(new[] { "GG0004", "GG0006", "GG0007" }, run.RuleIds);
        Assert.True(run.FixesComputed >= 3, $"their fixes must be computed; {run.FixesComputed} were");
    }

    private static readonly Dictionary<string, string[]> Programs = new()
    {
        ["recurrent-shapes"] = new[]
        {
            Usings + """
            class Net : Module<Tensor, Tensor>
            {
                private readonly LSTM lstm = LSTM(4, 4);
                private readonly List<Linear> heads = new() { Linear(4, 1) };
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x) => heads[0].forward(lstm.call(x).Item1);
            }

            static class Training
            {
                static Tensor Closure(Net model, Tensor x) { var loss = model.call(x).sum(); loss.backward(); return loss; }

                static void Run(Net model, Tensor x, optim.Optimizer given)
                {
                    var optimizer = optim.LBFGS(model.parameters());
                    optimizer.step(() => Closure(model, x));
                    Func<Tensor> local = null!;
                    optimizer.step(local);
                    Tensor LocalClosure() { var l = model.call(x).sum(); l.backward(); return l; }
                    optimizer.step(LocalClosure);
                    optimizer?.step();
                    given.step();
                    model.call(x).sum().backward();
                    switch (x.shape.Length) { case 1: optimizer.step(); break; default: goto case 1; }
                    try { model.call(x).sum().backward(); } finally { optimizer.step(); }
                    while (true) { model.call(x).sum().backward(); if (x.shape.Length > 2) break; optimizer.step(); }
                }
            }
            """,
        },
        ["half-typed-training-steps"] = new[]
        {
            Usings + """
            static class Training
            {
                static void Run(Module<Tensor, Tensor> model, Tensor x)
                {
                    var optimizer = optim.Adam(model.parameters(
                    var loss = model.call(x).sum();
                    loss.backward();
                    optimizer.step(
                    optimizer.
                    unknown.step();
                    step();
                    torch.nn.utils.clip_grad_norm_(
                }
            }
            """,
        },
        ["forward-shapes"] = new[]
        {
            Usings + """
            class Net : Module<Tensor, Tensor>
            {
                private readonly Linear fc = Linear(4, 4);
                public Net() : base("net") { RegisterComponents(); }
                public override Tensor forward(Tensor x)
                {
                    Func<Tensor, Tensor> viaGroup = fc.forward;
                    Func<Tensor, Tensor> viaLambda = t => base.forward(t);
                    dynamic loose = fc;
                    return viaGroup(x) + loose.forward(x) + this.forward + fc.forward();
                }
            }
            class forward { public forward forward(forward f) => f.forward(f); }
            """,
        },
        ["registration-shapes"] = new[]
        {
            Usings + """
            partial class Split : Module<Tensor, Tensor>
            {
                private readonly Linear[] heads = new Linear[] { Linear(4, 4) };
                private Dictionary<string, Parameter>? scales;
                private List<List<Linear>> nested = new();
                public Split() : base("split") { heads = heads.Concat(heads).ToArray(); this.scales ??= new(); }
            }
            """,
            Usings + """
            partial class Split
            {
                public override Tensor forward(Tensor x) => heads.Length > 0 ? heads[^1].call(x) : x;
                public Split(int n) : this() { }
                static Split() { }
            }
            class Generic<T> : Module<Tensor, Tensor> where T : Module<Tensor, Tensor>
            {
                private readonly T[] items = Array.Empty<T>();
                private readonly List<T> more = new(capacity: 4);
                public Generic() : base("g") => RegisterComponents();
                public override Tensor forward(Tensor x) => x;
            }
            static class Use { static void Run() { var s = new Split(); s.to(CPU); s.save(null!); optim.SGD(new Generic<Linear>().parameters(), 0.1); } }
            """,
        },
    };
}
