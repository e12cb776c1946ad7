namespace GradGuard.Analyzers.Tests;

/// <summary>The network model on custom <c>Module&lt;Tensor, Tensor&gt;</c> classes: fields, constructor and <c>forward</c>.</summary>
public class ModuleClassTests
{
    [Fact]
    public Task Functional_saturating_calls_in_forward_are_GG0001() => Verify.Diagnostics("""
        class {|GG0001:Net|} : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);
            private readonly Linear fc3 = nn.Linear(8, 8);
            private readonly Linear fc4 = nn.Linear(8, 8);
            private readonly Linear head = nn.Linear(8, 1);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var h = torch.sigmoid(fc1.forward(x));
                h = nn.functional.tanh(fc2.forward(h));
                h = fc3.forward(h).sigmoid();
                h = fc4.forward(h).tanh();
                return head.forward(h);
            }
        }
        """);

    [Fact]
    public Task Residual_block_resets_the_stack_and_the_depth() =>
        Verify.Diagnostics(ThirtyBlocks(blockOutput: "x + fc2.forward(fc1.forward(x).tanh()).tanh()", container: "ModuleList<Block>", reported: false));

    [Fact]
    public Task Same_blocks_without_the_skip_are_deep_and_saturating() =>
        Verify.Diagnostics(ThirtyBlocks(blockOutput: "fc2.forward(fc1.forward(x).tanh()).tanh()", container: "List<Block>", reported: true));

    [Fact]
    public Task Torch_add_with_the_input_and_a_projection_shortcut_are_skips() => Verify.Diagnostics("""
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear proj = nn.Linear(8, 8);
            private readonly Sequential body = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU());

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var identity = torch.add(x, body.forward(x));
                return proj.forward(identity).add(body.forward(identity));
            }
        }

        class Program
        {
            static void Main()
            {
                var blocks = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 15; i++)
                {
                    blocks.Add(new Block());
                }

                var model = nn.Sequential(blocks);
            }
        }
        """);

    [Fact]
    public Task Addition_of_two_deep_branches_is_not_a_skip() => Verify.Diagnostics("""
        class {|GG0001:TwoTowers|} : Module<Tensor, Tensor>
        {
            private readonly Sequential left = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh());
            private readonly Sequential right = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh());
            private readonly Linear head = nn.Linear(8, 1);

            public TwoTowers() : base(nameof(TwoTowers)) => RegisterComponents();

            public override Tensor forward(Tensor x) => head.forward(left.forward(x) + right.forward(x));
        }
        """);

    [Fact]
    public Task Sigmoid_gate_of_squeeze_excitation_is_not_a_stack() => Verify.Diagnostics("""
        class SqueezeExcite : Module<Tensor, Tensor>
        {
            private readonly Linear down = nn.Linear(16, 4);
            private readonly Linear up = nn.Linear(4, 16);

            public SqueezeExcite() : base(nameof(SqueezeExcite)) => RegisterComponents();

            public override Tensor forward(Tensor x) => x * up.forward(nn.functional.relu(down.forward(x))).sigmoid();
        }

        class Net : Module<Tensor, Tensor>
        {
            private readonly Sequential body = nn.Sequential(
                nn.Linear(16, 16), new SqueezeExcite(), nn.Tanh(),
                nn.Linear(16, 16), new SqueezeExcite(), nn.Tanh(),
                nn.Linear(16, 16), new SqueezeExcite(), nn.GELU(),
                nn.Linear(16, 16), new SqueezeExcite(), nn.GELU());

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x) => body.forward(x);
        }
        """);

    [Fact]
    public Task Constructor_default_arguments_bound_loops() => Verify.Diagnostics("""
        class {|GG0003:Mlp|} : Module<Tensor, Tensor>
        {
            private readonly Sequential layers;

            public Mlp(int depth = 25) : base(nameof(Mlp))
            {
                var list = new List<(string, Module<Tensor, Tensor>)>();
                for (int i = 0; i < depth; i++)
                {
                    list.Add(($"fc{i}", nn.Linear(32, 32)));
                    list.Add(($"act{i}", nn.GELU()));
                }

                layers = nn.Sequential(list);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => layers.forward(x);
        }
        """);

    [Fact]
    public Task User_types_named_like_TorchSharp_layers_are_ignored() => Verify.Diagnostics("""
        static class Layers
        {
            public static Module<Tensor, Tensor> Sigmoid() => nn.Identity();
            public static Module<Tensor, Tensor> Linear(int i, int o) => nn.Identity();
        }

        class Sigmoid : Module<Tensor, Tensor>
        {
            public Sigmoid() : base(nameof(Sigmoid)) { }

            public override Tensor forward(Tensor x) => x;
        }

        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    Layers.Linear(8, 8), new Sigmoid(), Layers.Linear(8, 8), Layers.Sigmoid(),
                    Layers.Linear(8, 8), new Sigmoid(), Layers.Linear(8, 8), Layers.Sigmoid(),
                    Layers.Linear(8, 8), new Sigmoid(), Layers.Linear(8, 8), Layers.Sigmoid());
            }
        }
        """);

    /// <summary>A network of 30 two-layer tanh blocks kept in <paramref name="container"/> and chained in <c>forward</c>.</summary>
    private static string ThirtyBlocks(string blockOutput, string container, bool reported) => $$"""
        class Block : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);

            public Block() : base(nameof(Block)) => RegisterComponents();

            public override Tensor forward(Tensor x) => {{blockOutput}};
        }

        class {{(reported ? "{|GG0001:{|GG0003:Network|}|}" : "Network")}} : Module<Tensor, Tensor>
        {
            private readonly {{container}} blocks = new {{container}}();

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
        """;
}
