namespace GradGuard.Analyzers.Tests;

/// <summary>
/// One network model per compilation: a block or a builder is judged inside the code that uses it, with the
/// arguments it gets there and the init that code applies, wherever that code is.
/// </summary>
public class CompilationModelTests
{
    [Fact]
    public Task A_block_is_judged_inside_its_network_not_on_its_own() => Verify.Diagnostics("""
        class DeepBlock : Module<Tensor, Tensor>
        {
            private readonly Sequential body;

            public DeepBlock(int depth = 24) : base(nameof(DeepBlock))
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < depth; i++)
                {
                    layers.Add(nn.Linear(16, 16));
                    layers.Add(nn.LayerNorm(16));
                    layers.Add(nn.GELU());
                }

                body = nn.Sequential(layers);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => body.forward(x);
        }

        class Network : Module<Tensor, Tensor>
        {
            private readonly DeepBlock block = new DeepBlock();

            public Network() : base(nameof(Network)) => RegisterComponents();

            public override Tensor forward(Tensor x) => x + block.forward(x);
        }
        """);

    [Fact]
    public Task Init_applied_by_the_program_reaches_a_class_built_there() => Verify.Diagnostics("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Sequential body = nn.Sequential(
                nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x) => body.forward(x);
        }

        static class Program
        {
            static void WeightsInit(nn.Module module)
            {
                if (module is Linear linear)
                {
                    nn.init.kaiming_normal_(linear.weight);
                }
            }

            static void Main()
            {
                var net = new Net();
                net.apply(WeightsInit);
            }
        }
        """);

    [Fact]
    public Task Init_by_a_parameter_loop_in_the_caller_reaches_a_builder_s_layers() => Verify.Diagnostics("""
        static class Program
        {
            static Sequential Build() => nn.Sequential(
                nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1));

            static void Main()
            {
                var model = Build();
                foreach (var (name, parameter) in model.named_parameters())
                {
                    if (name.EndsWith("weight"))
                    {
                        nn.init.kaiming_uniform_(parameter);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task A_parent_s_named_modules_switch_initialises_its_blocks() => Verify.DiagnosticsInFiles(
        ("/Models/Block.cs", Verify.Usings + """
            class Block : Module<Tensor, Tensor>
            {
                private readonly Linear fc = nn.Linear(8, 8);

                public Block() : base(nameof(Block)) => RegisterComponents();

                public override Tensor forward(Tensor x) => nn.functional.relu(fc.forward(x));
            }
            """),
        ("/Models/Network.cs", Verify.Usings + """
            class Network : Module<Tensor, Tensor>
            {
                private readonly ModuleList<Block> blocks = new ModuleList<Block>();

                public Network() : base(nameof(Network))
                {
                    for (int i = 0; i < 4; i++)
                    {
                        blocks.Add(new Block());
                    }

                    RegisterComponents();
                    foreach (var (_, module) in named_modules())
                    {
                        switch (module)
                        {
                            case Linear linear:
                                nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
                                break;
                            case LayerNorm norm:
                                nn.init.ones_(norm.weight);
                                break;
                        }
                    }
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
            """));

    [Fact]
    public Task Constructor_arguments_are_read_at_each_construction_site() => Verify.Diagnostics("""
        class {|GG0003:Mlp|} : Module<Tensor, Tensor>
        {
            private readonly Sequential layers;

            public Mlp(int depth, int width) : base(nameof(Mlp))
            {
                var list = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < depth; i++)
                {
                    list.Add(nn.Linear(width, width));
                    list.Add(nn.GELU());
                }

                layers = nn.Sequential(list);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }

        static class Program
        {
            static void Main()
            {
                var shallow = new Mlp(4, 64);
                var deep = new Mlp(32, 64);
            }
        }
        """);

    [Fact]
    public Task A_class_nothing_builds_is_judged_with_its_constructor_s_defaults() => Verify.Diagnostics("""
        class {|GG0001:Tower|} : Module<Tensor, Tensor>
        {
            private readonly Sequential layers;

            public Tower(int depth = 5) : base(nameof(Tower))
            {
                var list = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < depth; i++)
                {
                    list.Add(nn.Linear(8, 8));
                    list.Add(nn.Sigmoid());
                }

                list.Add(nn.Linear(8, 1));
                layers = nn.Sequential(list);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);
}
