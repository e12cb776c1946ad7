using GradGuard.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace GradGuard.Analyzers.Tests;

/// <summary>GG0007: layers TorchSharp never registers, so the optimizer never sees them.</summary>
public class UnregisteredModulesTests
{
    [Fact]
    public Task Modules_and_parameters_in_lists_arrays_and_dictionaries_are_reported_on_the_field() => Verify.AnalyzerTest<UnregisteredModulesAnalyzer>("""
        class Tower : Module<Tensor, Tensor>
        {
            private readonly List<Module<Tensor, Tensor>> {|#0:blocks|} = new();
            private readonly Linear[] {|#1:heads|} = { nn.Linear(8, 1), nn.Linear(8, 1) };
            private readonly Dictionary<string, Linear> {|#2:experts|} = new() { ["a"] = nn.Linear(8, 8) };
            private readonly Dictionary<int, Linear> {|#3:byIndex|} = new() { [0] = nn.Linear(8, 8) };
            private List<Parameter> {|#4:Scales|} { get; } = new List<Parameter> { new Parameter(torch.ones(8)) };

            public Tower() : base(nameof(Tower))
            {
                for (int i = 0; i < 4; i++)
                {
                    blocks.Add(nn.Linear(8, 8));
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.call(x);
                }

                return heads[0].call(experts["a"].call(x)) * Scales[0] + byIndex[0].call(x);
            }
        }
        """)
        .Expecting(
            Collection(0, "blocks", "modules", "List<Module<Tensor, Tensor>>", "ModuleList<Module<Tensor, Tensor>>"),
            Collection(1, "heads", "modules", "Linear[]", "ModuleList<Linear>"),
            Collection(2, "experts", "modules", "Dictionary<string, Linear>", "ModuleDict<Linear>"),
            Collection(3, "byIndex", "modules", "Dictionary<int, Linear>", "a ModuleDict keyed by name, or register_module for each of them"),
            Collection(4, "Scales", "parameters", "List<Parameter>", "ParameterList"))
        .RunAsync();

    [Fact]
    public Task Registered_containers_wrapped_lists_item_registration_and_views_of_fields_are_not_reported() => Verify.Diagnostics<UnregisteredModulesAnalyzer>("""
        class Registered : Module<Tensor, Tensor>
        {
            private readonly ModuleList<Linear> layers = new();
            private readonly List<Module<Tensor, Tensor>> staging = new();
            private readonly Sequential body;
            private readonly List<Linear> itemByItem = new();
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);
            private readonly List<Linear> view;
            private readonly Dictionary<string, Module<Tensor, Tensor>> byName;
            private static readonly List<Linear> Shared = new() { nn.Linear(8, 8) };

            public Registered() : base(nameof(Registered))
            {
                for (int i = 0; i < 3; i++)
                {
                    layers.Add(nn.Linear(8, 8));
                    staging.Add(nn.Linear(8, 8));
                    var block = nn.Linear(8, 8);
                    itemByItem.Add(block);
                    register_module($"block{i}", block);
                }

                body = nn.Sequential(staging);
                view = new List<Linear> { fc1, fc2 };
                byName = new Dictionary<string, Module<Tensor, Tensor>>();
                foreach (var (name, child) in body.named_children())
                {
                    byName[name] = (Module<Tensor, Tensor>)child;
                }

                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => body.call(x);
        }

        class Trainer
        {
            private readonly List<Module<Tensor, Tensor>> models = new() { nn.Linear(8, 8) };
        }
        """);

    [Fact]
    public Task A_root_module_whose_fields_nothing_registers_is_reported_on_its_class() => Verify.AnalyzerTest<UnregisteredModulesAnalyzer>("""
        class {|#0:Net|} : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Linear fc2;

            public Net() : base(nameof(Net))
            {
                fc1 = nn.Linear(8, 8);
                fc2 = nn.Linear(8, 1);
            }

            public override Tensor forward(Tensor x) => fc2.call(fc1.call(x).relu());
        }

        class {|#1:Saved|} : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 8);
            public Saved() : base(nameof(Saved)) { }
            public override Tensor forward(Tensor x) => fc.call(x);
        }

        static class Program
        {
            static void Main()
            {
                Module<Tensor, Tensor> model = new Net();
                var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
                new Saved().save("saved.bin");
            }
        }
        """)
        .Expecting(
            Root(0, "Net", "its parameters() go to an optimizer", "'fc1', 'fc2'"),
            Root(1, "Saved", "it is saved with save()", "'fc'"))
        .RunAsync();

    [Fact]
    public Task A_root_watched_by_the_monitor_or_moved_is_reported() => Verify.AnalyzerTest<UnregisteredModulesAnalyzer>("""
        class {|#0:Watched|} : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 8);
            public Watched() : base(nameof(Watched)) { }
            public override Tensor forward(Tensor x) => fc.call(x);
        }

        class {|#1:Moved|} : Module<Tensor, Tensor>
        {
            private Parameter Scale { get; } = new Parameter(torch.ones(8));
            public Moved() : base(nameof(Moved)) { }
            public override Tensor forward(Tensor x) => x * Scale;
        }

        static class Program
        {
            static void Main()
            {
                using var monitor = GradGuard.TorchSharp.GradientMonitor.Attach(new Watched());
                var moved = new Moved();
                moved.to(torch.CPU);
            }
        }
        """)
        .WithMonitorReference()
        .Expecting(
            Root(0, "Watched", "GradientMonitor.Attach watches it", "'fc'"),
            Root(1, "Moved", "it is moved with to()", "'Scale'"))
        .RunAsync();

    [Fact]
    public Task Children_registered_by_their_parent_and_classes_that_register_their_fields_are_not_reported() => Verify.Diagnostics<UnregisteredModulesAnalyzer>("""
        // Only ever a child: the parent's RegisterComponents calls register_module on it, which registers its fields.
        class Child : Module<Tensor, Tensor>
        {
            private readonly Linear fc = nn.Linear(8, 8);
            public Child() : base(nameof(Child)) { }
            public override Tensor forward(Tensor x) => fc.call(x);
        }

        class Parent : Module<Tensor, Tensor>
        {
            private readonly Child child = new();
            public Parent() : base(nameof(Parent)) => RegisterComponents();
            public override Tensor forward(Tensor x) => child.call(x);
        }

        class ByHand : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(8, 8);
            private readonly Linear fc2 = nn.Linear(8, 8);

            public ByHand() : base(nameof(ByHand))
            {
                register_module("first", fc1);
                register_module("second", fc2);
            }

            public override Tensor forward(Tensor x) => fc2.call(fc1.call(x));
        }

        class NoLayers : Module<Tensor, Tensor>
        {
            public NoLayers() : base(nameof(NoLayers)) { }
            public override Tensor forward(Tensor x) => x.relu();
        }

        static class Program
        {
            static void Main()
            {
                var parent = new Parent();
                var byHand = new ByHand();
                var plain = new NoLayers();
                var first = torch.optim.SGD(parent.parameters(), 0.1);
                var second = torch.optim.SGD(byHand.parameters(), 0.1);
                var third = torch.optim.SGD(plain.parameters(), 0.1);
                parent.to(torch.CPU);
            }
        }
        """);

    [Fact]
    public Task Generated_classes_are_not_reported() => Verify.AnalyzerTest<UnregisteredModulesAnalyzer>("""
        [System.CodeDom.Compiler.GeneratedCode("tool", "1.0")]
        class GeneratedNet : Module<Tensor, Tensor>
        {
            private readonly List<Linear> heads = new() { nn.Linear(8, 1) };
            private readonly Linear fc = nn.Linear(8, 8);
            public GeneratedNet() : base(nameof(GeneratedNet)) { }
            public override Tensor forward(Tensor x) => heads[0].call(fc.call(x));
        }

        static class Program
        {
            static void Main() => torch.optim.Adam(new GeneratedNet().parameters());
        }
        """)
        .WithSource("Net.g.cs", Verify.Usings + """
            class AlsoGenerated : Module<Tensor, Tensor>
            {
                private readonly Linear[] heads = { nn.Linear(8, 1) };
                public AlsoGenerated() : base(nameof(AlsoGenerated)) { }
                public override Tensor forward(Tensor x) => heads[0].call(x);
                public static void Train() => torch.optim.Adam(new AlsoGenerated().parameters());
            }
            """)
        .RunAsync();

    [Fact]
    public Task The_fix_adds_RegisterComponents_at_the_end_of_each_constructor() => Verify.FixTest<UnregisteredModulesAnalyzer, AddRegisterComponentsCodeFix>(
        """
        class {|#0:Net|} : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Linear fc2 = nn.Linear(8, 1);

            public Net() : base(nameof(Net))
            {
                fc1 = nn.Linear(8, 8);
            }

            public Net(int width) : base(nameof(Net)) => fc1 = nn.Linear(width, 8);

            public Net(string name) : this() { }

            public override Tensor forward(Tensor x) => fc2.call(fc1.call(x));

            public static void Train(Net net) => torch.optim.Adam(net.parameters());
        }
        """,
        """
        class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1;
            private readonly Linear fc2 = nn.Linear(8, 1);

            public Net() : base(nameof(Net))
            {
                fc1 = nn.Linear(8, 8);
                RegisterComponents();
            }

            public Net(int width) : base(nameof(Net))
            {
                fc1 = nn.Linear(width, 8);
                RegisterComponents();
            }

            public Net(string name) : this() { }

            public override Tensor forward(Tensor x) => fc2.call(fc1.call(x));

            public static void Train(Net net) => torch.optim.Adam(net.parameters());
        }
        """)
        .Expecting(Root(0, "Net", "its parameters() go to an optimizer", "'fc1', 'fc2'"))
        .WithCodeFixTestBehaviors(CodeFixTestBehaviors.SkipLocalDiagnosticCheck) // reported when the compilation ends, once its roots are known
        .RunAsync();

    [Fact]
    public Task The_fix_turns_lists_arrays_and_dictionaries_into_TorchSharp_containers() => Verify.FixTest<UnregisteredModulesAnalyzer, UseModuleContainerCodeFix>(
        """
        class Tower : Module<Tensor, Tensor>
        {
            private readonly List<Module<Tensor, Tensor>> {|GG0007:blocks|} = new List<Module<Tensor, Tensor>>();
            private readonly Linear[] {|GG0007:heads|};
            private readonly Dictionary<string, Linear> {|GG0007:experts|} = new Dictionary<string, Linear>();

            public Tower() : base(nameof(Tower))
            {
                for (int i = 0; i < 4; i++)
                {
                    blocks.Add(nn.Linear(8, 8));
                }

                heads = new[] { nn.Linear(8, 1), nn.Linear(8, 1) };
                experts.Add("a", nn.Linear(8, 8));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.call(x);
                }

                return experts["a"].call(x) + heads[heads.Length - 1].call(x);
            }
        }
        """,
        """
        class Tower : Module<Tensor, Tensor>
        {
            private readonly ModuleList<Module<Tensor, Tensor>> blocks = new ModuleList<Module<Tensor, Tensor>>();
            private readonly ModuleList<Linear> heads;
            private readonly ModuleDict<Linear> experts = new ModuleDict<Linear>();

            public Tower() : base(nameof(Tower))
            {
                for (int i = 0; i < 4; i++)
                {
                    blocks.Add(nn.Linear(8, 8));
                }

                heads = new ModuleList<Linear>(nn.Linear(8, 1), nn.Linear(8, 1));
                experts.Add("a", nn.Linear(8, 8));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                foreach (var block in blocks)
                {
                    x = block.call(x);
                }

                return experts["a"].call(x) + heads[heads.Count - 1].call(x);
            }
        }
        """).WithFirstDescriptorForMarkup().RunAsync();

    [Fact]
    public Task The_container_fix_registers_the_field_in_a_class_that_registers_by_hand() => Verify.FixTest<UnregisteredModulesAnalyzer, UseModuleContainerCodeFix>(
        """
        class Stack : Module<Tensor, Tensor>
        {
            private readonly Linear input = nn.Linear(8, 8);
            private readonly List<Linear> {|GG0007:hidden|} = new(4);

            public Stack() : base(nameof(Stack))
            {
                register_module("input", input);
                for (int i = 0; i < 4; i++)
                {
                    hidden.Add(nn.Linear(8, 8));
                }
            }

            public override Tensor forward(Tensor x) => hidden[0].call(input.call(x));
        }
        """,
        """
        class Stack : Module<Tensor, Tensor>
        {
            private readonly Linear input = nn.Linear(8, 8);
            private readonly ModuleList<Linear> hidden = new();

            public Stack() : base(nameof(Stack))
            {
                register_module("input", input);
                for (int i = 0; i < 4; i++)
                {
                    hidden.Add(nn.Linear(8, 8));
                }

                register_module("hidden", hidden);
            }

            public override Tensor forward(Tensor x) => hidden[0].call(input.call(x));
        }
        """).WithFirstDescriptorForMarkup().RunAsync();

    [Fact]
    public Task The_container_fix_is_not_offered_where_the_result_would_not_compile()
    {
        // A sized array filled by index has no ModuleList equivalent; ModuleDict enumerates (name, module) tuples, not KeyValuePairs.
        const string Source = """
            class Experts : Module<Tensor, Tensor>
            {
                private readonly Linear[] {|GG0007:heads|} = new Linear[2];
                private readonly Dictionary<string, Linear> {|GG0007:experts|} = new() { ["a"] = nn.Linear(8, 8) };

                public Experts() : base(nameof(Experts))
                {
                    heads[0] = nn.Linear(8, 1);
                    heads[1] = nn.Linear(8, 1);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x)
                {
                    foreach (var expert in experts)
                    {
                        x = expert.Value.call(x);
                    }

                    return heads[0].call(x);
                }
            }
            """;
        return Verify.FixTest<UnregisteredModulesAnalyzer, UseModuleContainerCodeFix>(Source, Source).WithFirstDescriptorForMarkup().RunAsync();
    }

    [Fact]
    public async Task The_container_fix_adds_the_using_for_TorchSharp_Modules_where_it_is_missing()
    {
        var test = Verify.FixTest<UnregisteredModulesAnalyzer, UseModuleContainerCodeFix>("", "").WithFirstDescriptorForMarkup();
        test.TestState.Sources.Clear();
        test.TestState.Sources.Add("""
            using System.Collections.Generic;
            using TorchSharp;

            class Heads : torch.nn.Module<torch.Tensor, torch.Tensor>
            {
                private readonly List<torch.nn.Module<torch.Tensor, torch.Tensor>> {|GG0007:heads|} = new() { torch.nn.Linear(8, 1) };
                public Heads() : base(nameof(Heads)) => RegisterComponents();
                public override torch.Tensor forward(torch.Tensor x) => heads[0].call(x);
            }
            """);
        test.FixedState.Sources.Clear();
        test.FixedState.Sources.Add("""
            using System.Collections.Generic;
            using TorchSharp;
            using TorchSharp.Modules;

            class Heads : torch.nn.Module<torch.Tensor, torch.Tensor>
            {
                private readonly ModuleList<torch.nn.Module<torch.Tensor, torch.Tensor>> heads = new() { torch.nn.Linear(8, 1) };
                public Heads() : base(nameof(Heads)) => RegisterComponents();
                public override torch.Tensor forward(torch.Tensor x) => heads[0].call(x);
            }
            """);
        await test.RunAsync();
    }

    private static DiagnosticResult Collection(int location, string field, string elements, string collection, string container) =>
        new DiagnosticResult(RuleIds.UnregisteredModuleCollectionRule).WithLocation(location).WithArguments(field, elements, collection, container);

    private static DiagnosticResult Root(int location, string type, string use, string fields) =>
        new DiagnosticResult(RuleIds.UnregisteredRootModuleRule).WithLocation(location).WithArguments(type, use, fields);
}
