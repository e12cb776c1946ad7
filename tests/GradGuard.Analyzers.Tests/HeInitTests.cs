namespace GradGuard.Analyzers.Tests;

/// <summary>
/// GG0002: what counts as He initialisation, read from the init calls' arguments, and which layers form a run:
/// consecutive weight layers feeding ReLU with no normalisation layer or skip connection between them.
/// </summary>
public class HeInitTests
{
    [Fact]
    public Task Default_init_beside_ReLU_is_GG0002() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(),
                    {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(),
                    {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(),
                    nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task Two_ReLU_layers_are_below_the_threshold() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task Kaiming_with_defaults_on_each_weight_is_He() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var fc1 = nn.Linear(8, 8);
                var fc2 = nn.Linear(8, 8);
                var fc3 = nn.Conv1d(8, 8, 3);
                using (torch.no_grad())
                {
                    nn.init.kaiming_normal_(fc1.weight);
                    nn.init.kaiming_uniform_(fc2.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
                    nn.init.kaiming_normal_(fc3.weight, a: 0.01);
                }

                var model = nn.Sequential(fc1, nn.ReLU(), fc2, nn.LeakyReLU(), fc3, nn.ReLU());
            }
        }
        """);

    [Fact]
    public Task Library_scale_Xavier_and_linear_gain_are_not_He() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var fc1 = {|GG0002:nn.Linear(8, 8)|};
                var fc2 = {|GG0002:nn.Linear(8, 8)|};
                var fc3 = {|GG0002:nn.Linear(8, 8)|};
                nn.init.kaiming_uniform_(fc1.weight, a: Math.Sqrt(5));
                nn.init.xavier_uniform_(fc2.weight);
                nn.init.kaiming_normal_(fc3.weight, nonlinearity: nn.init.NonlinearityType.Linear);
                var model = nn.Sequential(fc1, nn.ReLU(), fc2, nn.ReLU(), fc3, nn.ReLU());
            }
        }
        """);

    [Fact]
    public Task Loop_over_modules_with_type_test_initialises_the_weights() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU());
                using var _ = torch.no_grad();
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        nn.init.kaiming_normal_(linear.weight);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Loop_over_named_parameters_in_a_class_initialises_the_weights() => Verify.Diagnostics("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);
            private readonly Linear fc3 = nn.Linear(8, 8);

            public Net() : base(nameof(Net))
            {
                RegisterComponents();
                using var _ = torch.no_grad();
                foreach (var (name, parameter) in named_parameters())
                {
                    if (name.EndsWith("weight"))
                    {
                        nn.init.kaiming_uniform_(parameter);
                    }
                    else
                    {
                        nn.init.zeros_(parameter);
                    }
                }
            }

            public override Tensor forward(Tensor x) => fc3.forward(fc2.forward(fc1.forward(x).relu()).relu()).relu();
        }
        """);

    [Fact]
    public Task Fields_of_a_class_feeding_functional_relu_are_GG0002() => Verify.Diagnostics("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Linear fc2;
            private readonly Linear fc3;

            public Net() : base(nameof(Net))
            {
                fc1 = {|GG0002:nn.Linear(8, 8)|};
                fc2 = {|GG0002:nn.Linear(8, 8)|};
                fc3 = {|GG0002:nn.Linear(8, 8)|};
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                var h = nn.functional.relu(fc1.forward(x));
                h = fc2.forward(h).relu();
                return nn.functional.relu(fc3.forward(h));
            }
        }
        """);

    [Fact]
    public Task Layers_built_in_a_loop_count_each_time() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 10; i++)
                {
                    layers.Add({|GG0002:nn.Linear(8, 8)|});
                    layers.Add(nn.ReLU());
                }

                var model = nn.Sequential(layers);
            }
        }
        """);

    [Fact]
    public Task Batch_norm_after_every_convolution_resets_the_run() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 8; i++)
                {
                    layers.Add(nn.Conv2d(16, 16, 3, padding: 1));
                    layers.Add(nn.BatchNorm2d(16));
                    layers.Add(nn.ReLU());
                }

                var model = nn.Sequential(layers);
            }
        }
        """);

    [Fact]
    public Task A_skip_connection_between_layers_resets_the_run() => Verify.Diagnostics("""
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear first = nn.Linear(8, 8);
            private readonly Linear second = nn.Linear(8, 8);

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x) => nn.functional.relu(x + second.forward(nn.functional.relu(first.forward(x))));
        }

        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(new Block(), new Block(), new Block(), new Block());
            }
        }
        """);

    [Fact]
    public Task A_layer_feeding_no_ReLU_ends_the_run() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                    nn.Linear(8, 8),
                    nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                    nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task A_He_initialised_layer_stays_in_its_run_and_the_others_are_reported() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var first = nn.Linear(8, 8);
                nn.init.kaiming_normal_(first.weight);
                var model = nn.Sequential(first, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task Explicit_distributions_are_left_to_GG0005_so_no_layer_gets_both() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1));
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        {|GG0005:nn.init.normal_(linear.weight, 0, 0.02)|};
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Different_inits_on_undecided_branches_leave_the_layer_unjudged() => Verify.Diagnostics("""
        class Program
        {
            static void Main(string[] args)
            {
                var model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU());
                foreach (var module in model.modules())
                {
                    if (module is Linear linear)
                    {
                        if (args.Length > 0)
                        {
                            nn.init.kaiming_normal_(linear.weight);
                        }
                        else
                        {
                            nn.init.xavier_normal_(linear.weight);
                        }
                    }
                }
            }
        }
        """);
}
