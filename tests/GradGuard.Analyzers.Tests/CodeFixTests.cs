using GradGuard.Analyzers.CodeFixes;

namespace GradGuard.Analyzers.Tests;

/// <summary>The GG0001 and GG0002 fixes, one diagnostic at a time and with Fix All.</summary>
public class CodeFixTests
{
    [Fact]
    public Task GG0001_replaces_module_and_functional_saturating_activations_with_ReLU() => Verify.Fix<ReplaceSaturatingActivationsCodeFix>(
        """
        class {|GG0001:Net|} : Module<Tensor, Tensor>
        {
            private readonly Sequential body = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Sigmoid());
            private readonly Linear fc3 = nn.Linear(8, 8);
            private readonly Linear fc4 = nn.Linear(8, 8);
            private readonly Linear head = nn.Linear(8, 1);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var h = torch.sigmoid(fc3.forward(body.forward(x)));
                h = nn.functional.tanh(fc4.forward(h));
                return head.forward(h).sigmoid();
            }
        }
        """,
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Sequential body = nn.Sequential({|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU());
            private readonly Linear fc3 = {|GG0002:nn.Linear(8, 8)|};
            private readonly Linear fc4 = {|GG0002:nn.Linear(8, 8)|};
            private readonly Linear head = nn.Linear(8, 1);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public override Tensor forward(Tensor x)
            {
                var h = fc3.forward(body.forward(x)).relu();
                h = nn.functional.relu(fc4.forward(h));
                return head.forward(h).sigmoid();
            }
        }
        """);

    [Fact]
    public Task GG0001_offers_GELU_too() => Verify.Fix<ReplaceSaturatingActivationsCodeFix>(
        """
        class Program
        {
            static void Main()
            {
                var model = {|GG0001:nn.Sequential|}(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1));
            }
        }
        """,
        """
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 1));
            }
        }
        """,
        codeActionIndex: 1);

    [Fact]
    public Task GG0002_adds_He_init_where_each_layer_is_built() => Verify.Fix<AddHeInitCodeFix>(
        """
        class Program
        {
            static void Main()
            {
                var first = {|GG0002:nn.Linear(8, 8)|};
                var layers = new List<Module<Tensor, Tensor>> { first, nn.ReLU() };
                for (int i = 0; i < 4; i++)
                {
                    layers.Add({|GG0002:nn.Linear(8, 8)|});
                    layers.Add(nn.ReLU());
                }

                var model = nn.Sequential(layers);
            }
        }
        """,
        """
        class Program
        {
            static void Main()
            {
                var first = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(first.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var layers = new List<Module<Tensor, Tensor>> { first, nn.ReLU() };
                for (int i = 0; i < 4; i++)
                {
                    var linear = nn.Linear(8, 8);
                    using (torch.no_grad())
                    {
                        torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    }

                    layers.Add(linear);
                    layers.Add(nn.ReLU());
                }

                var model = nn.Sequential(layers);
            }
        }
        """);

    [Fact]
    public Task GG0002_Fix_All_hoists_inline_layers_and_initialises_fields() => Verify.Fix<AddHeInitCodeFix>(
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Sequential rest;

            public Net() : base(nameof(Net))
            {
                fc1 = {|GG0002:nn.Linear(8, 8)|};
                rest = nn.Sequential({|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU());
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => rest.forward(fc1.forward(x).relu());
        }
        """,
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Sequential rest;

            public Net() : base(nameof(Net))
            {
                fc1 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(fc1.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear2 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                rest = nn.Sequential(linear, nn.ReLU(), linear2, nn.ReLU());
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => rest.forward(fc1.forward(x).relu());
        }
        """);

    [Fact]
    public Task GG0002_gives_an_expression_bodied_builder_a_block_body() => Verify.Fix<AddHeInitCodeFix>(
        """
        static class Model
        {
            public static Sequential Build() => nn.Sequential({|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Conv1d(8, 8, 1)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU());
        }
        """,
        """
        static class Model
        {
            public static Sequential Build()
            {
                var linear = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var conv1d = nn.Conv1d(8, 8, 1);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(conv1d.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear2 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                return nn.Sequential(linear, nn.ReLU(), conv1d, nn.ReLU(), linear2, nn.ReLU());
            }
        }
        """);

    [Fact]
    public Task GG0002_initialises_layers_built_in_field_initialisers_in_the_constructor() => Verify.Fix<AddHeInitCodeFix>(
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear input = {|GG0002:nn.Linear(8, 8)|};
            private readonly Sequential body = nn.Sequential(
                {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(),
                {|GG0002:nn.Linear(8, 8)|}, nn.ReLU());
            private readonly Linear head = nn.Linear(8, 1);

            public Net() : base(nameof(Net)) => RegisterComponents();

            public Net(int seed) : this() => torch.manual_seed(seed);

            public override Tensor forward(Tensor x) => head.forward(body.forward(input.forward(x).relu()));
        }
        """,
        // One fix at a time, each field's statements go first in the constructor; Fix All writes them in field order.
        FieldNet("""
                var linear = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear2 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                body = nn.Sequential(
                    linear, nn.ReLU(),
                    linear2, nn.ReLU());
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(input.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }


        """),
        fixedAllSource: FieldNet("""
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(input.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear2 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                body = nn.Sequential(
                    linear, nn.ReLU(),
                    linear2, nn.ReLU());

        """));

    [Fact]
    public Task GG0002_initialises_a_field_s_layer_in_every_constructor_that_runs_the_initialisers() => Verify.Fix<AddHeInitCodeFix>(
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear hidden = {|GG0002:nn.Linear(8, 8)|};
            private readonly Linear fc2;
            private readonly Linear fc3;

            public Net() : base(nameof(Net))
            {
                fc2 = {|GG0002:nn.Linear(8, 8)|};
                fc3 = {|GG0002:nn.Linear(8, 8)|};
                RegisterComponents();
            }

            public Net(Linear fc2, Linear fc3, int hidden) : base(nameof(Net))
            {
                this.fc2 = fc2;
                this.fc3 = fc3;
                RegisterComponents();
            }

            public Net(int seed) : this() => torch.manual_seed(seed);

            public override Tensor forward(Tensor x) => fc3.forward(fc2.forward(hidden.forward(x).relu()).relu()).relu();
        }
        """,
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear hidden = nn.Linear(8, 8);
            private readonly Linear fc2;
            private readonly Linear fc3;

            public Net() : base(nameof(Net))
            {
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(hidden.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                fc2 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(fc2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                fc3 = nn.Linear(8, 8);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(fc3.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                RegisterComponents();
            }

            public Net(Linear fc2, Linear fc3, int hidden) : base(nameof(Net))
            {
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(this.hidden.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                this.fc2 = fc2;
                this.fc3 = fc3;
                RegisterComponents();
            }

            public Net(int seed) : this() => torch.manual_seed(seed);

            public override Tensor forward(Tensor x) => fc3.forward(fc2.forward(hidden.forward(x).relu()).relu()).relu();
        }
        """);

    [Fact]
    public Task GG0002_keeps_the_arguments_of_a_multi_line_Sequential_indented() => Verify.Fix<AddHeInitCodeFix>(
        """
        static class Model
        {
            public static Sequential Build() => nn.Sequential(
                {|GG0002:nn.Linear(784, 512)|}, nn.ReLU(),
                {|GG0002:nn.Linear(512, 512)|}, nn.ReLU(),
                {|GG0002:nn.Linear(512, 512)|}, nn.ReLU(),
                nn.Linear(512, 10));
        }
        """,
        """
        static class Model
        {
            public static Sequential Build()
            {
                var linear = nn.Linear(784, 512);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear2 = nn.Linear(512, 512);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                var linear3 = nn.Linear(512, 512);
                using (torch.no_grad())
                {
                    torch.nn.init.kaiming_normal_(linear3.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                }

                return nn.Sequential(
                    linear, nn.ReLU(),
                    linear2, nn.ReLU(),
                    linear3, nn.ReLU(),
                    nn.Linear(512, 10));
            }
        }
        """);

    [Fact]
    public Task GG0002_gives_a_loop_body_one_block_for_all_its_layers() => Verify.Fix<AddHeInitCodeFix>(
        """
        class Program
        {
            static void Main()
            {
                for (int i = 0; i < 2; i++)
                    Train(nn.Sequential({|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU(), {|GG0002:nn.Linear(8, 8)|}, nn.ReLU()));
            }

            static void Train(Sequential model)
            {
            }
        }
        """,
        """
        class Program
        {
            static void Main()
            {
                for (int i = 0; i < 2; i++)
                {
                    var linear = nn.Linear(8, 8);
                    using (torch.no_grad())
                    {
                        torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    }

                    var linear2 = nn.Linear(8, 8);
                    using (torch.no_grad())
                    {
                        torch.nn.init.kaiming_normal_(linear2.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    }

                    var linear3 = nn.Linear(8, 8);
                    using (torch.no_grad())
                    {
                        torch.nn.init.kaiming_normal_(linear3.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    }

                    Train(nn.Sequential(linear, nn.ReLU(), linear2, nn.ReLU(), linear3, nn.ReLU()));
                }
            }

            static void Train(Sequential model)
            {
            }
        }
        """);

    /// <summary>The network of the field-initialiser test, fixed, with <paramref name="prologue"/> opening its constructor.</summary>
    private static string FieldNet(string prologue) => $$"""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear input = nn.Linear(8, 8);
            private readonly Sequential body;
            private readonly Linear head = nn.Linear(8, 1);

            public Net() : base(nameof(Net))
            {
        {{prologue}}        RegisterComponents();
            }

            public Net(int seed) : this() => torch.manual_seed(seed);

            public override Tensor forward(Tensor x) => head.forward(body.forward(input.forward(x).relu()));
        }
        """;
}
