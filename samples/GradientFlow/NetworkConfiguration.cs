using TorchSharp;
using static TorchSharp.torch;

namespace GradientFlow;

/// <summary>One of the literature's configurations: a plain or residual multilayer perceptron of a given depth.</summary>
/// <param name="Activation">"sigmoid" or "relu".</param>
/// <param name="Init">"default" (TorchSharp's kaiming_uniform_ with a = √5) or "he" (kaiming_normal_ for ReLU).</param>
/// <param name="Residual">Wraps every hidden layer in x + f(x).</param>
/// <param name="Depth">Weight layers from input to output.</param>
public sealed record NetworkConfiguration(string Activation, string Init, bool Residual, int Depth)
{
    public string Name => $"{(Residual ? "residual-" : "")}{Activation}-{Init}-{Depth}";

    /// <summary>The four configurations the vanishing-gradient literature compares, at each depth.</summary>
    public static IReadOnlyList<NetworkConfiguration> Literature(IEnumerable<int> depths) => depths
        .SelectMany(depth => new[]
        {
            new NetworkConfiguration("sigmoid", "default", false, depth),
            new NetworkConfiguration("relu", "default", false, depth),
            new NetworkConfiguration("relu", "he", false, depth),
            new NetworkConfiguration("relu", "default", true, depth),
        })
        .ToList();

    /// <summary>
    /// Depth - 1 hidden layers of <paramref name="width"/> units, each followed by the activation, and a linear
    /// output layer, as a Sequential so that every layer is named by its position.
    /// </summary>
    public nn.Module<Tensor, Tensor> Build(int width)
    {
        if (Depth < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Depth), Depth, "A network needs at least two weight layers to compare the first with the last.");
        }

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int index = 0; index < Depth - 1; index++)
        {
            var linear = nn.Linear(width, width);
            if (Init == "he")
            {
                using var noGrad = torch.no_grad();
                nn.init.kaiming_normal_(linear.weight!, nonlinearity: nn.init.NonlinearityType.ReLU);
                nn.init.zeros_(linear.bias!);
            }

            var activation = Activation == "sigmoid" ? (nn.Module<Tensor, Tensor>)nn.Sigmoid() : nn.ReLU();
            layers.Add(($"{index}", Residual ? new ResidualBlock(width, activation, linear) : nn.Sequential(("linear", linear), ("activation", activation))));
        }

        layers.Add(("output", nn.Linear(width, width)));
        return nn.Sequential(layers);
    }
}

/// <summary>
/// x + linear(activation(norm(x))), the pre-activation residual block of He et al. (2016), with LayerNorm in place
/// of their BatchNorm: the identity path carries the gradient past the layer unchanged, and the normalisation keeps
/// each branch's contribution the same size however deep the stack, so the signal grows only linearly with depth.
/// </summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly nn.Module<Tensor, Tensor> activation;
    private readonly nn.Module<Tensor, Tensor> linear;

    public ResidualBlock(int width, nn.Module<Tensor, Tensor> activation, nn.Module<Tensor, Tensor> linear) : base(nameof(ResidualBlock))
    {
        norm = nn.LayerNorm(width);
        this.activation = activation;
        this.linear = linear;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var normalised = norm.call(input);
        using var activated = activation.call(normalised);
        using var branch = linear.call(activated);
        return input + branch;
    }
}
