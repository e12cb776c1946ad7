namespace GradGuard.Analyzers.Tests;

/// <summary>
/// The shapes model-zoo code builds networks with: bounds and branches decided by constants the source holds
/// (tables, lengths, dictionaries, names), loops of every kind, lambdas, tensor lists, compound and in-place skips;
/// and silence where a value is not known.
/// </summary>
public class ConstantFollowingTests
{
    [Fact]
    public Task A_readonly_array_s_length_bounds_the_loop_and_its_elements_decide_branches() => Verify.Diagnostics("""
        class {|GG0001:Tower|} : Module<Tensor, Tensor>
        {
            private static readonly long[] Widths = { 64, 0, 64, 64, 0, 64 };
            private readonly Sequential layers = nn.Sequential();

            public Tower() : base(nameof(Tower))
            {
                for (int i = 0; i < Widths.Length; i++)
                {
                    if (Widths[i] == 0)
                    {
                        layers.append(nn.Dropout(0.1));
                    }
                    else
                    {
                        layers.append(nn.Linear(64, Widths[i]));
                        layers.append(nn.Tanh());
                    }
                }

                layers.append(nn.Linear(64, 1));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);

    [Fact]
    public Task A_dictionary_entry_chosen_by_a_constant_key_sets_the_depth() => Verify.Diagnostics("""
        class {|GG0003:Configured|} : Module<Tensor, Tensor>
        {
            private readonly Dictionary<string, int> depths = new() { ["small"] = 4, ["large"] = 24 };
            private readonly Sequential layers = nn.Sequential();

            public Configured(string size = "LARGE") : base(nameof(Configured))
            {
                for (int i = 0; i < depths[size.ToLower()]; i++)
                {
                    layers.append(nn.Linear(32, 32));
                    layers.append(nn.GELU());
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);

    [Fact]
    public Task A_switch_expression_on_a_constant_name_picks_the_activation() => Verify.Diagnostics("""
        static class Program
        {
            static Module<Tensor, Tensor> Activation(string name) => name switch
            {
                "relu" => nn.ReLU(),
                "tanh" => nn.Tanh(),
                _ => nn.GELU(),
            };

            static Sequential Build(string activation)
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 5; i++)
                {
                    layers.Add(nn.Linear(16, 16));
                    layers.Add(Activation(activation));
                }

                layers.Add(nn.Linear(16, 1));
                return {|GG0001:nn.Sequential|}(layers);
            }

            static void Main()
            {
                var model = Build("tanh");
                var optimizer = optim.Adam(model.parameters());
            }
        }
        """);

    [Fact]
    public Task A_while_loop_with_a_constant_bound_runs_step_by_step() => Verify.Diagnostics("""
        static class Funnel
        {
            static Sequential Build()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                long width = 512;
                while (width > 16)
                {
                    layers.Add(nn.Linear(width, width / 2));
                    layers.Add(nn.Sigmoid());
                    width /= 2;
                }

                layers.Add(nn.Linear(16, 1));
                return {|GG0001:nn.Sequential|}(layers.ToArray());
            }
        }
        """);

    [Fact]
    public Task Loops_inside_loops_count_every_iteration() => Verify.Diagnostics("""
        static class Stages
        {
            static Sequential Build()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int stage = 0; stage < 3; stage++)
                {
                    for (int block = 0; block < 2; block++)
                    {
                        layers.Add(nn.Sequential(nn.Linear(8, 8), nn.Tanh()));
                    }
                }

                layers.Add(nn.Linear(8, 1));
                return {|GG0001:nn.Sequential|}(layers);
            }
        }
        """);

    [Fact]
    public Task A_flag_nobody_sets_makes_both_branches_alternatives_and_no_report() => Verify.Diagnostics("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Sequential layers = nn.Sequential();

            public Net(bool normalise) : base(nameof(Net))
            {
                for (int i = 0; i < 6; i++)
                {
                    layers.append(nn.Conv2d(16, 16, 3, padding: 1));
                    if (normalise)
                    {
                        layers.append(nn.BatchNorm2d(16));
                    }

                    layers.append(nn.ReLU());
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);

    [Fact]
    public Task A_loop_bound_the_source_does_not_give_counts_once() => Verify.Diagnostics("""
        static class Program
        {
            static Sequential Build(int depth)
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < depth; i++)
                {
                    layers.Add(nn.Linear(8, 8));
                    layers.Add(nn.Tanh());
                }

                return nn.Sequential(layers);
            }

            static void Main(string[] args) => Build(int.Parse(args[0]));
        }
        """);

    [Fact]
    public Task Concatenating_a_list_of_tensors_keeps_the_forward_path() => Verify.Diagnostics("""
        class {|GG0001:Fusion|} : Module<Tensor, Tensor>
        {
            private readonly Linear left = nn.Linear(8, 8);
            private readonly Linear right = nn.Linear(8, 8);
            private readonly Sequential head = nn.Sequential(
                nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1));

            public Fusion() : base(nameof(Fusion)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var parts = new List<Tensor> { left.forward(x), right.forward(x) };
                return head.forward(torch.cat(parts, 1));
            }
        }
        """);

    [Fact]
    public Task Compound_and_in_place_additions_are_skip_connections() => Verify.Diagnostics("""
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear first = nn.Linear(8, 8);
            private readonly Linear second = nn.Linear(8, 8);

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var h = second.forward(first.forward(x).tanh()).tanh();
                h += x;
                var y = second.forward(h.tanh()).tanh();
                y.add_(h);
                return y;
            }
        }

        class Network : Module<Tensor, Tensor>
        {
            private readonly ModuleList<Block> blocks = new ModuleList<Block>();

            public Network() : base(nameof(Network))
            {
                for (int i = 0; i < 30; i++)
                {
                    blocks.Add(new Block());
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.forward(x);
                }

                return x;
            }
        }
        """);

    [Fact]
    public Task Sequentials_built_by_lambdas_and_local_functions_are_followed() => Verify.Diagnostics("""
        static class Program
        {
            static Sequential Build()
            {
                Func<Module<Tensor, Tensor>> block = () => nn.Sequential(nn.Linear(8, 8), nn.Sigmoid());

                Sequential Stack(int count)
                {
                    var blocks = new List<Module<Tensor, Tensor>>();
                    for (int i = 0; i < count; i++)
                    {
                        blocks.Add(block());
                    }

                    return nn.Sequential(blocks);
                }

                return {|GG0001:nn.Sequential|}(Stack(4), nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task Records_in_a_stage_table_drive_the_blocks() => Verify.Diagnostics("""
        record Stage(long Width, int Blocks);

        class {|GG0003:Plain|} : Module<Tensor, Tensor>
        {
            private static readonly Stage[] Stages = { new Stage(32, 6), new Stage(64, 8), new Stage(128, 6) };
            private readonly Sequential layers = nn.Sequential();

            public Plain() : base(nameof(Plain))
            {
                long width = 3;
                foreach (var stage in Stages)
                {
                    for (int i = 0; i < stage.Blocks; i++)
                    {
                        layers.append(nn.Conv2d(width, stage.Width, 3, padding: 1));
                        layers.append(nn.BatchNorm2d(stage.Width));
                        layers.append(nn.ReLU());
                        width = stage.Width;
                    }
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);
}
