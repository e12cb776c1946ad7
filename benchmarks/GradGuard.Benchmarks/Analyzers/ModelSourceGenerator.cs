using System.Globalization;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// Writes the files of a generated TorchSharp project: each file holds a custom module with a hand-written
/// forward, a residual block kept in a ModuleList, a Sequential built in a loop, and a training step, in the
/// shapes the samples and users write them. The file number varies depths, widths, activations and whether
/// He initialisation is applied (stacks from 5 to 27 weight layers), so some networks are healthy and some
/// trip GG0001–GG0003.
/// </summary>
internal static class ModelSourceGenerator
{
    private static readonly string[] Activations = { "ReLU", "Tanh", "Sigmoid", "ReLU" };

    public static string File(int index)
    {
        int depth = 3 + index % 23;
        int width = 64 << (index % 4);
        string activation = Activations[index % Activations.Length];
        // nn.ReLU() and nn.functional.relu(), nn.Tanh() and nn.functional.tanh(), ...
        string functional = activation.ToLowerInvariant();
        string init = index % 3 == 0
            ? ""
            : "                nn.init.kaiming_normal_(layer.weight, nonlinearity: nn.init.NonlinearityType.ReLU);\n";
        return string.Format(CultureInfo.InvariantCulture, Template, index, depth, width, activation, functional, init);
    }

    // {0} file number, {1} depth, {2} width, {3} activation module, {4} functional activation, {5} optional init line.
    private const string Template = """
using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Generated.Models{0}
{{
    public sealed class Encoder{0} : nn.Module<Tensor, Tensor>
    {{
        private readonly Linear input;
        private readonly Linear hidden;
        private readonly Linear output;
        private readonly Dropout dropout = nn.Dropout(0.1);

        public Encoder{0}(int features) : base(nameof(Encoder{0}))
        {{
            input = nn.Linear(features, {2});
            hidden = nn.Linear({2}, {2});
            output = nn.Linear({2}, 10);
            using (no_grad())
            {{
                foreach (var layer in new[] {{ input, hidden }})
                {{
{5}                }}
            }}

            RegisterComponents();
        }}

        public override Tensor forward(Tensor x)
        {{
            var h = nn.functional.{4}(input.forward(x));
            h = dropout.forward(nn.functional.{4}(hidden.forward(h)));
            return output.forward(h);
        }}
    }}

    public sealed class Block{0} : nn.Module<Tensor, Tensor>
    {{
        private readonly Linear first;
        private readonly Linear second;
        private readonly LayerNorm norm;

        public Block{0}(int width) : base(nameof(Block{0}))
        {{
            first = nn.Linear(width, width);
            second = nn.Linear(width, width);
            norm = nn.LayerNorm(width);
            RegisterComponents();
        }}

        public override Tensor forward(Tensor x) => x + second.forward(nn.functional.relu(first.forward(norm.forward(x))));
    }}

    public sealed class Tower{0} : nn.Module<Tensor, Tensor>
    {{
        private readonly ModuleList<Block{0}> blocks = new();
        private readonly Linear head = nn.Linear({2}, 10);

        public Tower{0}() : base(nameof(Tower{0}))
        {{
            for (int i = 0; i < {1}; i++)
            {{
                blocks.Add(new Block{0}({2}));
            }}

            RegisterComponents();
        }}

        public override Tensor forward(Tensor x)
        {{
            foreach (var block in blocks)
            {{
                x = block.forward(x);
            }}

            return head.forward(x);
        }}
    }}

    public static class Networks{0}
    {{
        public static Sequential Stack(int features)
        {{
            var layers = new List<nn.Module<Tensor, Tensor>>();
            layers.Add(nn.Linear(features, {2}));
            layers.Add(nn.{3}());
            for (int i = 0; i < {1}; i++)
            {{
                layers.Add(nn.Linear({2}, {2}));
                layers.Add(nn.{3}());
            }}

            layers.Add(nn.Linear({2}, 10));
            return nn.Sequential(layers);
        }}

        public static Sequential Classifier() => nn.Sequential(
            nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 8 * 8, {2}), nn.{3}(),
            nn.Linear({2}, 10));

        public static float TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor input, Tensor labels)
        {{
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(input), labels);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }}

        public static IReadOnlyList<float> Normalise(IEnumerable<float> values)
        {{
            var list = values.ToList();
            float mean = list.Average();
            float spread = MathF.Sqrt(list.Select(v => (v - mean) * (v - mean)).Average()) + 1e-6f;
            return list.Select(v => (v - mean) / spread).ToList();
        }}
    }}
}}
""";
}
