using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace GradGuard.Analyzers.Tests;

/// <summary>
/// GG0005: runs of explicitly initialised weight layers whose variance gains r = E[w²]·fan_in·k multiply to a vanishing
/// or exploding scale.
/// </summary>
public class ExplicitInitScaleTests
{
    [Fact]
    public Task Standard_normal_weights_before_ReLU_explode_by_256_a_layer() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                    nn.Linear(512, 10));
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        {|#0:nn.init.normal_(linear.weight, 0, 1)|};
                    }
                }
            }
        }
        """)
        // The output layer feeds no activation, so its k is 1: r = 512.
        .Expecting(Scale(0, "Sequential", 4, "256 ×3, 512", "8.59e+9", "explode"))
        .RunAsync();

    [Fact]
    public Task The_documented_example_gets_the_documented_message() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (var i = 0; i < 3; i++)
                {
                    var linear = nn.Linear(512, 512);
                    {|#0:nn.init.normal_(linear.weight, 0, 1)|};
                    layers.Add(linear);
                    layers.Add(nn.ReLU());
                }

                layers.Add(nn.Linear(512, 10));
                var model = nn.Sequential(layers);
            }
        }
        """)
        .Expecting(Scale(0, "Sequential", 3, "256 per layer", "1.68e+7", "explode"))
        .RunAsync();

    [Fact]
    public Task A_product_of_a_thousand_or_more_is_written_as_a_power_of_ten() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU());
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        {|#0:nn.init.normal_(linear.weight, 0, 0.5)|};
                    }
                }
            }
        }
        """)
        .Expecting(Scale(0, "Sequential", 3, "16 per layer", "4.1e+3", "explode"))
        .RunAsync();

    [Fact]
    public Task Equal_neighbours_are_grouped_and_a_long_list_is_cut() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>> { nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU() };
                for (var width = 1024L; width > 2; width /= 2)
                {
                    layers.Add(nn.Linear(width, width / 2));
                    layers.Add(nn.ReLU());
                }

                var model = nn.Sequential(layers);
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        {|#0:linear.weight.normal_(0, 1)|};
                    }
                }
            }
        }
        """)
        // r = fan_in / 2: 512 for the three layers fed 1024 features, then halving down to 2: 2^(9·3 + 8 + 7 + … + 1) = 2^63.
        .Expecting(Scale(0, "Sequential", 11, "512 ×3, 256, 128, 64, 32, 16, 8, 4, …", "9.22e+18", "explode"))
        .RunAsync();

    [Fact]
    public Task Small_normal_weights_in_a_narrow_tanh_stack_vanish() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Program
        {
            static void Main()
            {
                var first = nn.Linear(64, 64);
                var second = nn.Linear(64, 64);
                var third = nn.Linear(64, 64);
                {|#0:first.weight.normal_(0, 0.01)|};
                second.weight.normal_(0, 0.01);
                third.weight.normal_(0, 0.01);
                var model = nn.Sequential(first, nn.Tanh(), second, nn.Tanh(), third, nn.Tanh(), nn.Linear(64, 1));
            }
        }
        """)
        .Expecting(Scale(0, "Sequential", 3, "0.0064 per layer", "2.62e-7", "vanish"))
        .RunAsync();

    [Fact]
    public Task A_large_init_before_tanh_or_GELU_is_not_reported_as_exploding() => Verify.Diagnostics("""
        class Program
        {
            static void Init(Module<Tensor, Tensor> model)
            {
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        nn.init.normal_(linear.weight, 0, 1);
                    }
                }
            }

            static void Main()
            {
                Init(nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh()));
                Init(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 64), nn.ReLU()));
            }
        }
        """);

    [Fact]
    public Task Layers_whose_fan_in_is_not_known_are_not_judged() => Verify.Diagnostics("""
        class Program
        {
            static Sequential Build(long width)
            {
                var model = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU());
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        nn.init.normal_(linear.weight, 0, 1);
                    }
                }

                return model;
            }
        }
        """);

    [Fact]
    public Task A_layer_count_from_a_loop_multiplies_its_gain_as_often() => Verify.AnalyzerTest<GradientFlowAnalyzer>("""
        class Deep : Module<Tensor, Tensor>
        {
            private readonly ModuleList<Linear> layers = new();

            public Deep() : base(nameof(Deep))
            {
                for (var i = 0; i < 10; i++)
                {
                    var layer = nn.Linear(128, 128);
                    {|#0:nn.init.uniform_(layer.weight, -0.1, 0.1)|};
                    layers.Add(layer);
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var layer in layers)
                {
                    x = nn.functional.relu(layer.call(x));
                }

                return x;
            }
        }
        """)
        // E[w²] = 0.2² / 12 = 0.00333, r = 0.00333 · 128 / 2 = 0.213, and 0.213¹⁰ = 2e-7.
        .Expecting(Scale(0, "Deep", 10, "0.213 per layer", "1.95e-7", "vanish"))
        .RunAsync();

    [Fact]
    public Task Hand_written_He_init_is_silent_and_counts_as_He_for_GG0002() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                const int fanIn = 256;
                var byHand = nn.Linear(fanIn, fanIn);
                nn.init.normal_(byHand.weight, 0, Math.Sqrt(2.0 / fanIn));
                var bounded = nn.Linear(fanIn, fanIn);
                nn.init.uniform_(bounded.weight, -Math.Sqrt(6.0 / fanIn), Math.Sqrt(6.0 / fanIn));
                var model = nn.Sequential(
                    {|GG0002:nn.Linear(fanIn, fanIn)|}, nn.ReLU(), byHand, nn.ReLU(), bounded, nn.ReLU(), {|GG0002:nn.Linear(fanIn, fanIn)|}, nn.ReLU(),
                    nn.Linear(fanIn, 1));
            }
        }
        """);

    [Fact]
    public Task Named_schemes_are_never_GG0005s_whatever_their_gain() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var first = {|GG0002:nn.Linear(512, 512)|};
                var second = {|GG0002:nn.Linear(512, 512)|};
                var third = {|GG0002:nn.Linear(512, 512)|};
                nn.init.xavier_normal_(first.weight, gain: 100);
                nn.init.xavier_normal_(second.weight, gain: 100);
                nn.init.kaiming_normal_(third.weight, nonlinearity: nn.init.NonlinearityType.Tanh);
                var relu = nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), third, nn.ReLU());
                var tanh = nn.Sequential(first, nn.Tanh(), second, nn.Tanh(), third, nn.Tanh());
            }
        }
        """);

    [Fact]
    public Task Normalisation_and_skip_connections_end_a_run() => Verify.Diagnostics("""
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear first = nn.Linear(768, 768);
            private readonly Linear second = nn.Linear(768, 768);

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x) => x + second.call(nn.functional.relu(first.call(x)));
        }

        class Program
        {
            static void Init(Module<Tensor, Tensor> model)
            {
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        nn.init.normal_(linear.weight, 0, 1);
                    }
                    else if (module is Conv2d conv)
                    {
                        nn.init.normal_(conv.weight, 0, 1);
                    }
                }
            }

            static void Main()
            {
                Init(nn.Sequential(
                    nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), nn.ReLU(),
                    nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), nn.ReLU(),
                    nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), nn.ReLU()));
                Init(nn.Sequential(new Block(), new Block(), new Block(), new Block()));
                Init(nn.Sequential(
                    nn.Linear(768, 768), nn.LayerNorm(768), nn.GELU(),
                    nn.Linear(768, 768), nn.LayerNorm(768), nn.GELU(),
                    nn.Linear(768, 768), nn.LayerNorm(768), nn.GELU()));
            }
        }
        """);

    [Fact]
    public Task Any_other_weight_layer_zeros_and_unknown_sizes_end_a_run() => Verify.Diagnostics("""
        class Program
        {
            static Sequential Build(int width)
            {
                var unknown = nn.Linear(width, 512);
                var zeroed = nn.Linear(512, 512);
                var defaulted = nn.Linear(512, 512);
                var standard = new[] { nn.Linear(512, 512), nn.Linear(512, 512), nn.Linear(512, 512), nn.Linear(512, 512) };
                nn.init.normal_(unknown.weight, 0, 1);
                nn.init.zeros_(zeroed.weight);
                foreach (var layer in standard)
                {
                    nn.init.normal_(layer.weight, 0, 1);
                }

                return nn.Sequential(
                    standard[0], nn.ReLU(), unknown, nn.ReLU(), standard[1], nn.ReLU(), zeroed, nn.ReLU(),
                    standard[2], nn.ReLU(), defaulted, nn.ReLU(), standard[3]);
            }
        }
        """);

    [Fact]
    public Task A_group_count_the_source_does_not_fix_leaves_the_fan_in_unknown() => Verify.Diagnostics("""
        class Program
        {
            static Sequential Build(long groups)
            {
                var model = nn.Sequential(nn.Conv2d(64, 64, 3, groups: groups), nn.ReLU(), nn.Conv2d(64, 64, 3, groups: groups), nn.ReLU(), nn.Conv2d(64, 64, 3, groups: groups), nn.ReLU());
                foreach (var module in model.modules())
                {
                    if (module is Conv2d conv)
                    {
                        nn.init.normal_(conv.weight, 0, 1);
                    }
                }

                return model;
            }
        }
        """);

    [Fact]
    public Task Constant_and_truncated_normal_weights_are_judged_by_their_second_moment() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var constant = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU());
                foreach (var module in constant.modules())
                {
                    if (module is Linear linear)
                    {
                        {|GG0005:nn.init.constant_(linear.weight, 0.01)|};
                    }
                }

                var truncated = nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU());
                foreach (var module in truncated.modules())
                {
                    if (module is Conv2d conv)
                    {
                        {|GG0005:nn.init.trunc_normal_(conv.weight, std: 1)|};
                    }
                }
            }
        }
        """);

    [Fact]
    public Task The_diagnostic_sits_on_the_first_layers_init_call() => Verify.Diagnostics("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(1024, 1024);
            private readonly Linear fc2 = nn.Linear(1024, 1024);
            private readonly Linear fc3 = nn.Linear(1024, 1024);

            public Net() : base(nameof(Net))
            {
                nn.init.normal_(fc3.weight, 0, 0.001);
                nn.init.normal_(fc2.weight, 0, 0.001);
                {|GG0005:nn.init.normal_(fc1.weight, 0, 0.001)|};
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => fc3.call(fc2.call(fc1.call(x).relu()).relu());
        }
        """);

    [Fact]
    public Task Thresholds_and_run_length_are_options() => Verify.Diagnostics(
        ModerateRuns(reported: true),
        "gradguard.GG0005.vanishing_product = 0.01",
        "gradguard.GG0005.exploding_product = 500",
        "gradguard.GG0005.min_layers = 2");

    [Fact]
    public Task Defaults_leave_moderate_runs_alone_and_invalid_options_fall_back_to_them() => Verify.Diagnostics(
        ModerateRuns(reported: false),
        "gradguard.GG0005.vanishing_product = 2",
        "gradguard.GG0005.exploding_product = 0.5",
        "gradguard.GG0005.min_layers = none");

    [Fact]
    public void A_truncated_normal_loses_the_variance_of_its_tails()
    {
        // N(0, 1) cut at ±2 keeps 95.45% of its mass and a variance of 1 − 4·φ(2) / 0.9545 = 0.7737.
        var cut = Linear(WeightInit.TruncatedNormal(Call, 0, 1, -2, 2));
        Assert.Equal(0.7737 * 100, InitScale.VarianceGain(cut, feedsRelu: false)!.Value, 2);

        // Bounds a hundred standard deviations out change nothing; a shifted mean adds its square.
        Assert.Equal(0.0004 * 100, InitScale.VarianceGain(Linear(WeightInit.TruncatedNormal(Call, 0, 0.02, -2, 2)), feedsRelu: false)!.Value, 6);
        Assert.Equal((1 + 1.0 / 3) * 50, InitScale.VarianceGain(Linear(WeightInit.Uniform(Call, 0, 2)), feedsRelu: true)!.Value, 9);
        Assert.Null(InitScale.VarianceGain(Linear(WeightInit.ConstantValue(Call, 0)), feedsRelu: false));
        Assert.Null(InitScale.VarianceGain(Linear(WeightInit.Normal(Call, 0, null)), feedsRelu: false));
    }

    private static readonly SyntaxNode Call = SyntaxFactory.IdentifierName("init");

    private static LayerNode Linear(WeightInit init) =>
        new(LayerKind.Weight, "Linear", null, null, new WeightShape(100, 100)) { Init = init };

    /// <summary>
    /// Three ReLU layers of r = 0.2 (product 0.008), three of r = 8 (product 512), and two of r = 64 (product 4096): each
    /// under its default threshold or run length, each over the one the options set.
    /// </summary>
    private static string ModerateRuns(bool reported)
    {
        string Init(string weight, double std) =>
            reported ? $"{{|GG0005:nn.init.normal_({weight}, 0, {std})|}}" : $"nn.init.normal_({weight}, 0, {std})";
        return $$"""
            class Program
            {
                static void Main()
                {
                    var shrinking = new[] { nn.Linear(100, 100), nn.Linear(100, 100), nn.Linear(100, 100) };
                    var growing = new[] { nn.Linear(100, 100), nn.Linear(100, 100), nn.Linear(100, 100) };
                    var pair = new[] { nn.Linear(128, 128), nn.Linear(128, 128) };
                    {{Init("shrinking[0].weight", 0.0632455532)}};
                    nn.init.normal_(shrinking[1].weight, 0, 0.0632455532);
                    nn.init.normal_(shrinking[2].weight, 0, 0.0632455532);
                    {{Init("growing[0].weight", 0.4)}};
                    nn.init.normal_(growing[1].weight, 0, 0.4);
                    nn.init.normal_(growing[2].weight, 0, 0.4);
                    {{Init("pair[0].weight", 1)}};
                    nn.init.normal_(pair[1].weight, 0, 1);
                    var a = nn.Sequential(shrinking[0], nn.ReLU(), shrinking[1], nn.ReLU(), shrinking[2], nn.ReLU());
                    var b = nn.Sequential(growing[0], nn.ReLU(), growing[1], nn.ReLU(), growing[2], nn.ReLU());
                    var c = nn.Sequential(pair[0], nn.ReLU(), pair[1], nn.ReLU());
                }
            }
            """;
    }

    private static DiagnosticResult Scale(int location, string network, long layers, string perLayer, string product, string effect) =>
        new DiagnosticResult(RuleIds.ExplicitInitScaleRule).WithLocation(location).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
            .WithArguments(network, layers, perLayer, product, effect);
}
