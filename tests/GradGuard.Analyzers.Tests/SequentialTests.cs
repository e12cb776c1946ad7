namespace GradGuard.Analyzers.Tests;

/// <summary>The network model on networks written with <c>Sequential</c>, lists, loops and helpers, read by every rule.</summary>
public class SequentialTests
{
    [Fact]
    public Task Deep_sigmoid_stack_in_Sequential_is_GG0001() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = {|GG0001:nn.Sequential|}(
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 10), nn.Tanh(),
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 1));
            }
        }
        """);

    [Fact]
    public Task Named_tuples_are_read_like_modules() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = {|GG0001:nn.Sequential|}(
                    ("fc1", nn.Linear(10, 10)), ("act1", nn.Tanh()),
                    ("fc2", nn.Linear(10, 10)), ("act2", nn.Tanh()),
                    ("fc3", nn.Linear(10, 10)), ("act3", nn.Tanh()),
                    ("fc4", nn.Linear(10, 10)), ("act4", nn.Tanh()),
                    ("out", nn.Linear(10, 1)));
            }
        }
        """);

    [Fact]
    public Task Three_sigmoids_and_an_output_sigmoid_are_not_a_stack() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 10), nn.Sigmoid(),
                    nn.Linear(10, 1), nn.Sigmoid());
            }
        }
        """);

    [Fact]
    public Task Normalisation_between_saturating_layers_breaks_the_stack() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var model = nn.Sequential(
                    nn.Linear(10, 10), nn.Tanh(),
                    nn.Linear(10, 10), nn.Tanh(), nn.LayerNorm(10),
                    nn.Linear(10, 10), nn.Tanh(),
                    nn.Linear(10, 10), nn.Tanh(),
                    nn.Linear(10, 1));
            }
        }
        """);

    [Fact]
    public Task List_filled_in_a_constant_loop_counts_every_iteration() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 50; i++)
                {
                    layers.Add(nn.Linear(64, 64));
                    layers.Add(nn.Tanh());
                }

                var model = {|GG0001:{|GG0003:nn.Sequential|}|}(layers);
            }
        }
        """);

    [Fact]
    public Task Sequential_copies_the_list_at_the_call() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>> { nn.Linear(64, 64), nn.Tanh() };
                var model = nn.Sequential(layers);
                for (int i = 0; i < 50; i++)
                {
                    layers.Add(nn.Linear(64, 64));
                    layers.Add(nn.Tanh());
                }
            }
        }
        """);

    [Fact]
    public Task Sequential_append_in_a_loop_builds_a_deep_plain_stack() => Verify.Diagnostics("""
        class Program
        {
            const int Depth = 24;

            static void Main()
            {
                var model = {|GG0003:nn.Sequential|}();
                for (int i = 0; i < Depth; i++)
                {
                    model.append(nn.Linear(64, 64));
                    model.append(nn.GELU());
                }
            }
        }
        """);

    [Fact]
    public Task Array_filled_by_index_counts_its_layers() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new Module<Tensor, Tensor>[40];
                for (int i = 0; i < 20; i++)
                {
                    layers[2 * i] = nn.Linear(64, 64);
                    layers[2 * i + 1] = nn.GELU();
                }

                var model = {|GG0003:nn.Sequential|}(layers);
            }
        }
        """);

    [Fact]
    public Task Helper_methods_are_followed() => Verify.Diagnostics("""
        class Program
        {
            static Module<Tensor, Tensor> Block(int width) => nn.Sequential(nn.Linear(width, width), nn.Sigmoid());

            static Module<Tensor, Tensor> Twice(int width) => nn.Sequential(Block(width), Block(width));

            static void Main()
            {
                var model = {|GG0001:nn.Sequential|}(Twice(8), Twice(8), nn.Linear(8, 1));
            }
        }
        """);

    [Fact]
    public Task Recursive_helpers_end() => Verify.Diagnostics("""
        class Program
        {
            static Module<Tensor, Tensor> Build(int depth) => depth == 0 ? nn.Linear(4, 4) : nn.Sequential(nn.Linear(4, 4), Build(depth - 1));

            static void Main()
            {
                var model = nn.Sequential(Build(3));
            }
        }
        """);

    [Fact]
    public Task Shallow_plain_stack_is_fine() => Verify.Diagnostics("""
        class Program
        {
            static void Main()
            {
                var layers = new List<Module<Tensor, Tensor>>();
                for (int i = 0; i < 19; i++)
                {
                    layers.Add(nn.Linear(64, 64));
                    layers.Add(nn.GELU());
                }

                var model = nn.Sequential(layers);
            }
        }
        """);
}
