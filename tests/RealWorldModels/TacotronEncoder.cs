// expect: GG0006@26,49,52,79,106,109
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.TacotronEncoder;

/// <summary>
/// Tacotron 2's text encoder, decoder pre-net and post-net: convolutions with batch norm, a bidirectional LSTM, a
/// two-layer ReLU pre-net with always-on dropout, and a post-net of five convolutions where each hidden one is
/// normalised before its tanh. Xavier init with the gain of the activation that follows, as the reference does.
/// </summary>
public sealed class ConvNorm : Module<Tensor, Tensor>
{
    private readonly Conv1d conv;

    public ConvNorm(long input, long output, long kernel = 1, init.NonlinearityType gain = init.NonlinearityType.Linear) : base(nameof(ConvNorm))
    {
        conv = Conv1d(input, output, kernel, padding: (kernel - 1) / 2);
        init.xavier_uniform_(conv.weight, init.calculate_gain(gain));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.forward(x);
}

public sealed class Encoder : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> convolutions = new();
    private readonly LSTM lstm;

    public Encoder(long symbols = 512, int layers = 3, long kernel = 5) : base(nameof(Encoder))
    {
        for (var i = 0; i < layers; i++)
        {
            convolutions.Add(Sequential(new ConvNorm(symbols, symbols, kernel, init.NonlinearityType.ReLU), BatchNorm1d(symbols)));
        }

        lstm = LSTM(symbols, symbols / 2, 1, batchFirst: true, bidirectional: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var conv in convolutions)
        {
            x = functional.dropout(functional.relu(conv.forward(x)), 0.5, training);
        }

        var (outputs, _, _) = lstm.forward(x.transpose(1, 2));
        return outputs;
    }
}

public sealed class Prenet : Module<Tensor, Tensor>
{
    private readonly List<Linear> layers = new();

    public Prenet(long input = 80, long[]? sizes = null) : base(nameof(Prenet))
    {
        sizes ??= new long[] { 256, 256 };
        var inputs = input;
        foreach (var size in sizes)
        {
            var layer = Linear(inputs, size, hasBias: false);
            init.xavier_uniform_(layer.weight, init.calculate_gain(init.NonlinearityType.Linear));
            layers.Add(layer);
            register_module($"layer{layers.Count}", layer);
            inputs = size;
        }
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var linear in layers)
        {
            x = functional.dropout(functional.relu(linear.forward(x)), 0.5, true);
        }

        return x;
    }
}

public sealed class Postnet : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> convolutions = new();

    public Postnet(long mels = 80, long width = 512, long kernel = 5, int layers = 5) : base(nameof(Postnet))
    {
        convolutions.Add(Sequential(new ConvNorm(mels, width, kernel, init.NonlinearityType.Tanh), BatchNorm1d(width)));
        for (var i = 1; i < layers - 1; i++)
        {
            convolutions.Add(Sequential(new ConvNorm(width, width, kernel, init.NonlinearityType.Tanh), BatchNorm1d(width)));
        }

        convolutions.Add(Sequential(new ConvNorm(width, mels, kernel), BatchNorm1d(mels)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        for (var i = 0; i < convolutions.Count - 1; i++)
        {
            x = functional.dropout(torch.tanh(convolutions[i].forward(x)), 0.5, training);
        }

        return functional.dropout(convolutions[convolutions.Count - 1].forward(x), 0.5, training);
    }
}
