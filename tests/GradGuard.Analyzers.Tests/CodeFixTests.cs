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
}
