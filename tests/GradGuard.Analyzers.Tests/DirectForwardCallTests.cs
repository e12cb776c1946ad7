using GradGuard.Analyzers.CodeFixes;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GradGuard.Analyzers.Tests;

/// <summary>GG0006: <c>forward()</c> called directly runs no forward hooks.</summary>
public class DirectForwardCallTests
{
    private static readonly string MonitorPackageConfig = Path.Combine(RepositoryRoot.Path, "src", "GradGuard.TorchSharp", "buildTransitive", "GradGuard.TorchSharp.globalconfig");

    private const string Block = """
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x) => {|#0:fc2.forward|}({|#1:fc1.forward|}(x).relu());
        }
        """;

    [Fact]
    public Task A_child_called_through_forward_is_information_in_a_project_without_the_monitor() => Verify.AnalyzerTest<DirectForwardCallAnalyzer>(Block)
        .Expecting(Info(0, "fc2"), Info(1, "fc1"))
        .RunAsync();

    [Fact]
    public Task It_is_a_warning_in_a_project_that_references_the_monitor() => Verify.AnalyzerTest<DirectForwardCallAnalyzer>(Block)
        .WithMonitorReference()
        .Expecting(Info(0, "fc2").WithSeverity(DiagnosticSeverity.Warning), Info(1, "fc1").WithSeverity(DiagnosticSeverity.Warning))
        .RunAsync();

    [Fact]
    public Task The_monitor_package_config_makes_it_a_warning_for_the_compiler_before_the_analyzer_runs()
    {
        // No monitor reference: the severity comes from the file the GradGuard.TorchSharp package hands the compiler.
        return WithMonitorPackageConfig(Verify.AnalyzerTest<DirectForwardCallAnalyzer>(Block))
            .Expecting(Info(0, "fc2").WithSeverity(DiagnosticSeverity.Warning), Info(1, "fc1").WithSeverity(DiagnosticSeverity.Warning))
            .RunAsync();
    }

    [Fact]
    public Task A_project_editorconfig_overrides_the_monitor_package_config()
    {
        return WithMonitorPackageConfig(Verify.AnalyzerTest<DirectForwardCallAnalyzer>(Block, "dotnet_diagnostic.GG0006.severity = suggestion"))
            .Expecting(Info(0, "fc2"), Info(1, "fc1"))
            .RunAsync();
    }

    [Fact]
    public Task Calls_on_models_this_conditional_access_and_recurrent_modules_are_reported() => Verify.Diagnostics<DirectForwardCallAnalyzer>("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly LSTM lstm = nn.LSTM(8, 8);
            private readonly Linear? head = nn.Linear(8, 1);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var (output, _, _) = {|GG0006:lstm.forward|}(x);
                return {|GG0006:head?.forward|}(output) ?? output;
            }

            public Tensor Predict(Tensor x) => {|GG0006:forward|}(x) + {|GG0006:this.forward|}(x);
        }

        static class Training
        {
            static void Step(Sequential model, Net net, Tensor x) => {|GG0006:model.forward|}({|GG0006:net.forward|}(x));
        }
        """);

    [Fact]
    public Task Calls_after_keywords_comments_and_directives_are_reported_and_declarations_named_forward_are_not() => Verify.Diagnostics<DirectForwardCallAnalyzer>("""
        using System.Linq;

        class Net : Module<Tensor, Tensor>
        {
            public Net() : base(nameof(Net)) { }

            public override Tensor forward(Tensor x) => x;

            public IEnumerable<Tensor> Steps(Tensor x, bool twice)
            {
                Tensor forward(Tensor y) => y;
                var z = forward(x); // a local function named forward hides the module's
                yield return z;
            }

            public Tensor Twice(Tensor x, bool twice)
            {
                if (twice) x = {|GG0006:forward|}(x); else {|GG0006:forward|}(x);
                do {|GG0006:forward|}(x); while (false);
                var y = x; // a comment that ends in a word
                {|GG0006:forward|}(y);
        #if DEBUG
                y = x;
        #endif
                {|GG0006:forward|}(y);
                return twice ? {|GG0006:forward|}(y) : y;
            }

            public Tensor Last(Tensor[] xs) => (from x in xs select {|GG0006:forward|}(x)).Last();

            public Tensor Throwing(Tensor? x) => x is null ? throw new ArgumentNullException() : {|GG0006:forward|}(x);

            public Tensor Returning(Tensor x)
            {
                return {|GG0006:forward|}(x);
            }
        }
        """);

    [Fact]
    public Task Base_forward_in_an_override_call_and_forward_methods_of_other_types_are_not_reported() => Verify.Diagnostics<DirectForwardCallAnalyzer>("""
        class Base : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 8);
            public Base() : base(nameof(Base)) => RegisterComponents();
            public override Tensor forward(Tensor x) => fc.call(x);
        }

        class Derived : Base
        {
            public override Tensor forward(Tensor x) => base.forward(x).relu();
        }

        // A module with a forward of its own that overrides nothing of TorchSharp's, as hand-written RNNs often have.
        class CharRnn : Module
        {
            private readonly Linear i2h = nn.Linear(16, 8);
            public CharRnn() : base(nameof(CharRnn)) => RegisterComponents();
            public (Tensor, Tensor) forward(Tensor input, Tensor hidden) => (input, i2h.call(torch.cat(new[] { input, hidden }, 1)));
        }

        // Not a module at all.
        class KalmanFilter
        {
            public double forward(double state) => state * 0.5;
        }

        static class Use
        {
            static void Run(CharRnn rnn, KalmanFilter filter, Tensor x)
            {
                var (output, hidden) = rnn.forward(x, x);
                filter.forward(1.0);
            }
        }
        """);

    [Fact]
    public Task Generated_code_is_not_reported() => Verify.AnalyzerTest<DirectForwardCallAnalyzer>("""
        [System.CodeDom.Compiler.GeneratedCode("tool", "1.0")]
        class Generated : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 8);
            public Generated() : base(nameof(Generated)) => RegisterComponents();
            public override Tensor forward(Tensor x) => fc.forward(x);
        }
        """)
        .WithSource("Model.g.cs", Verify.Usings + """
            class AlsoGenerated : Module<Tensor, Tensor>
            {
                private readonly Linear fc = nn.Linear(8, 8);
                public AlsoGenerated() : base(nameof(AlsoGenerated)) => RegisterComponents();
                public override Tensor forward(Tensor x) => fc.forward(x);
            }
            """)
        .RunAsync();

    [Fact]
    public Task Severity_none_silences_it() => Verify.Diagnostics<DirectForwardCallAnalyzer>(
        Block.Replace("{|#0:fc2.forward|}", "fc2.forward").Replace("{|#1:fc1.forward|}", "fc1.forward"),
        "dotnet_diagnostic.GG0006.severity = none");

    [Fact]
    public Task The_fix_calls_through_call_and_Fix_All_rewrites_every_call() => Verify.Fix<DirectForwardCallAnalyzer, CallInsteadOfForwardCodeFix>(
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly LSTM lstm = nn.LSTM(8, 8);
            private readonly Sequential head = nn.Sequential(nn.Linear(8, 8), nn.ReLU());

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var (output, _, _) = {|GG0006:lstm.forward|}(x);
                return {|GG0006:head.forward|}({|GG0006:head.forward|}(output));
            }
        }
        """,
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly LSTM lstm = nn.LSTM(8, 8);
            private readonly Sequential head = nn.Sequential(nn.Linear(8, 8), nn.ReLU());

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var (output, _, _) = lstm.call(x);
                return head.call(head.call(output));
            }
        }
        """);

    [Fact]
    public Task No_fix_for_base_forward_outside_an_override() => Verify.FixTest<DirectForwardCallAnalyzer, CallInsteadOfForwardCodeFix>(
        """
        class Base : Module<Tensor, Tensor>
        {
            public Base() : base(nameof(Base)) { }
            public override Tensor forward(Tensor x) => x;
        }

        class Derived : Base
        {
            public Tensor Plain(Tensor x) => {|GG0006:base.forward|}(x);
        }
        """,
        """
        class Base : Module<Tensor, Tensor>
        {
            public Base() : base(nameof(Base)) { }
            public override Tensor forward(Tensor x) => x;
        }

        class Derived : Base
        {
            public Tensor Plain(Tensor x) => {|GG0006:base.forward|}(x);
        }
        """).RunAsync();

    /// <summary>The global config the GradGuard.TorchSharp package hands the compiler, as the package ships it.</summary>
    private static TTest WithMonitorPackageConfig<TTest>(TTest test)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.TestState.AnalyzerConfigFiles.Add(("/GradGuard.TorchSharp.globalconfig", File.ReadAllText(MonitorPackageConfig)));
        return test;
    }

    private static DiagnosticResult Info(int location, string receiver) =>
        new DiagnosticResult(RuleIds.DirectForwardCallRule).WithLocation(location).WithArguments(receiver);
}
