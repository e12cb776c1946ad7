using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// Models in the shapes public TorchSharp code has (TorchSharpExamples, TorchVision), each the twin of one in
/// Reference/pytorch_reference.py: the same weights, from an exact integer pattern, so that PyTorch's gradients are the
/// reference values of <see cref="RealModelShapeTests"/>.
/// </summary>
internal static class Reference
{
    public const int Batch = 8;

    /// <summary>((k·37 + seed·101) mod 29 − 14) / 14 · scale: exact in float64 in both frameworks, then rounded to float32.</summary>
    public static float[] Pattern(int count, int seed, double scale) =>
        Enumerable.Range(0, count).Select(k => (float)(((k * 37 + seed * 101) % 29 - 14) / 14.0 * scale)).ToArray();

    public static Linear Linear(int inputs, int outputs, int seed, double? weightScale = null, float[]? bias = null)
    {
        var linear = nn.Linear(inputs, outputs);
        using var noGrad = torch.no_grad();
        using var weight = torch.tensor(Pattern(inputs * outputs, seed, weightScale ?? 1 / Math.Sqrt(inputs))).reshape(outputs, inputs);
        using var biasValues = torch.tensor(bias ?? Pattern(outputs, seed + 1000, 0.1));
        linear.weight!.copy_(weight);
        linear.bias!.copy_(biasValues);
        return linear;
    }

    /// <summary>A bias of −50 for the first <paramref name="negative"/> units, which no input of the pattern's size lifts above 0.</summary>
    public static float[] FirstNegative(int units, int negative) =>
        Enumerable.Range(0, units).Select(unit => unit < negative ? -50f : 0.1f).ToArray();

    /// <summary>A bias of ±<paramref name="value"/>, alternating, for the first <paramref name="saturated"/> units: with small weights their pre-activation stays in the flat tails.</summary>
    public static float[] Saturating(int units, int saturated, float value = 10f) =>
        Enumerable.Range(0, units).Select(unit => unit < saturated ? (unit % 2 == 0 ? value : -value) : 0f).ToArray();

    public static Tensor Input(int features) => torch.tensor(Pattern(Batch * features, 99, 1.0)).reshape(Batch, features);
}

/// <summary>Fields declared output first (head, mid2, mid1, stem), and one ReLU module called after each of three layers.</summary>
internal sealed class DeclaredBackwards : nn.Module<Tensor, Tensor>
{
    private readonly Linear head = Reference.Linear(16, 4, 4);
    private readonly Linear mid2 = Reference.Linear(16, 16, 3);
    private readonly Linear mid1 = Reference.Linear(16, 16, 2, bias: Reference.FirstNegative(16, 12));
    private readonly Linear stem = Reference.Linear(8, 16, 1);
    private readonly ReLU act = nn.ReLU();

    public DeclaredBackwards() : base(nameof(DeclaredBackwards)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var first = act.call(stem.call(input));
        using var second = act.call(mid1.call(first));
        using var third = act.call(mid2.call(second));
        return head.call(third);
    }
}

/// <summary>The input layer registered last but called first, and one Tanh module called twice: saturated on its first call only.</summary>
internal sealed class CalledFirst : nn.Module<Tensor, Tensor>
{
    private readonly Linear lin2 = Reference.Linear(12, 6, 12);
    private readonly Linear lin1 = Reference.Linear(12, 12, 11, weightScale: 0.05, bias: Reference.Saturating(12, 9, 8f));
    private readonly Tanh squash = nn.Tanh();
    private readonly Linear embed = Reference.Linear(6, 12, 10);

    public CalledFirst() : base(nameof(CalledFirst)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var embedded = embed.call(input);
        using var hidden = squash.call(lin1.call(embedded));
        return squash.call(lin2.call(hidden));
    }
}

/// <summary>Only functional activations, as most hand-written forward methods have them: tanh, sigmoid, relu between four Linear layers.</summary>
internal sealed class FunctionalActivations : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = Reference.Linear(8, 16, 21, weightScale: 0.05, bias: Reference.Saturating(16, 13));
    private readonly Linear fc2 = Reference.Linear(16, 16, 22);
    private readonly Linear fc3 = Reference.Linear(16, 16, 23, bias: Reference.FirstNegative(16, 12));
    private readonly Linear fc4 = Reference.Linear(16, 4, 24);

    public FunctionalActivations() : base(nameof(FunctionalActivations)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var first = torch.tanh(fc1.call(input));
        using var second = torch.sigmoid(fc2.call(first));
        using var third = nn.functional.relu(fc3.call(second));
        return fc4.call(third);
    }
}

/// <summary>A functional tanh followed by arithmetic before the next layer: no activation the monitor can recognise.</summary>
internal sealed class ScaledTanh : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = Reference.Linear(8, 16, 21, weightScale: 0.05, bias: Reference.Saturating(16, 13));
    private readonly Linear fc2 = Reference.Linear(16, 4, 25);

    public ScaledTanh() : base(nameof(ScaledTanh)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var hidden = torch.tanh(fc1.call(input)) * 0.5;
        return fc2.call(hidden);
    }
}

/// <summary>x + lin2(act(lin1(x))), as TorchVision's BasicBlock computes x + f(x).</summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Linear lin1;
    private readonly ReLU act = nn.ReLU();
    private readonly Linear lin2;

    public ResidualBlock(int index) : base(nameof(ResidualBlock))
    {
        lin1 = Reference.Linear(16, 16, 40 + 2 * index, bias: index == 1 ? Reference.FirstNegative(16, 12) : null);
        lin2 = Reference.Linear(16, 16, 41 + 2 * index);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var branch = lin2.call(act.call(lin1.call(input)));
        return input + branch;
    }
}

/// <summary>Residual blocks in a ModuleList (a container without call()), each followed by a functional relu of the sum.</summary>
internal sealed class ResidualBlocks : nn.Module<Tensor, Tensor>
{
    private readonly Linear stem = Reference.Linear(8, 16, 31);
    private readonly ModuleList<ResidualBlock> blocks = nn.ModuleList(Enumerable.Range(0, 3).Select(index => new ResidualBlock(index)).ToArray());
    private readonly Linear head = Reference.Linear(16, 4, 39);

    public ResidualBlocks() : base(nameof(ResidualBlocks)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = stem.call(input);
        foreach (var block in blocks)
        {
            hidden = nn.functional.relu(block.call(hidden));
        }

        return head.call(hidden).MoveToOuterDisposeScope();
    }
}

/// <summary>GoogLeNet's auxiliary head in miniature: registered, never called by forward.</summary>
internal sealed class NeverCallsALayer : nn.Module<Tensor, Tensor>
{
    private readonly Linear stem = Reference.Linear(8, 16, 51);
    private readonly ReLU relu = nn.ReLU();
    private readonly Linear aux = Reference.Linear(16, 4, 52);
    private readonly Linear head = Reference.Linear(16, 4, 53);

    public NeverCallsALayer() : base(nameof(NeverCallsALayer)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var hidden = relu.call(stem.call(input));
        return head.call(hidden);
    }
}

/// <summary>TorchSharpExamples' MNIST model in miniature: every child called through forward(), which runs no hooks.</summary>
internal sealed class ThroughForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1 = Reference.Linear(8, 16, 61, bias: Reference.FirstNegative(16, 12));
    private readonly ReLU relu1 = nn.ReLU();
    private readonly Linear fc2 = Reference.Linear(16, 16, 62);
    private readonly ReLU relu2 = nn.ReLU();
    private readonly Linear fc3 = Reference.Linear(16, 4, 63);

    public ThroughForward() : base(nameof(ThroughForward)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var first = relu1.forward(fc1.forward(input));
        using var second = relu2.forward(fc2.forward(first));
        return fc3.forward(second);
    }
}

/// <summary>A block whose children run through forward(), called through call() from a model declared output first.</summary>
internal sealed class HalfSeen : nn.Module<Tensor, Tensor>
{
    private readonly Linear head = Reference.Linear(16, 4, 73);
    private readonly ForwardBlock block = new();
    private readonly Linear stem = Reference.Linear(8, 16, 70);

    public HalfSeen() : base(nameof(HalfSeen)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var hidden = block.call(stem.call(input));
        return head.call(hidden);
    }

    private sealed class ForwardBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Linear lin1 = Reference.Linear(16, 16, 71);
        private readonly ReLU relu = nn.ReLU();
        private readonly Linear lin2 = Reference.Linear(16, 16, 72);

        public ForwardBlock() : base(nameof(ForwardBlock)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var hidden = relu.forward(lin1.forward(input));
            return lin2.forward(hidden);
        }
    }
}

/// <summary>An early-exit shape: each step takes one of two branches between a shared stem and head.</summary>
internal sealed class Branching : nn.Module<Tensor, Tensor>
{
    private readonly Linear stem = Reference.Linear(8, 16, 81);
    private readonly Linear left = Reference.Linear(16, 16, 82);
    private readonly Linear right = Reference.Linear(16, 16, 83);
    private readonly Linear head = Reference.Linear(16, 4, 84);

    public Branching() : base(nameof(Branching)) => RegisterComponents();

    public bool TakeRight { get; set; }

    public override Tensor forward(Tensor input)
    {
        using var hidden = stem.call(input);
        using var branch = (TakeRight ? right : left).call(hidden);
        return head.call(branch);
    }
}
