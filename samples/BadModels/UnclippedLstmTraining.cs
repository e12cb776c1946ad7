using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BadModels;

/// <summary>GG0004: an LSTM trained without clipping; one long sequence can blow the gradient up by (γ·‖W‖)^T.</summary>
public sealed class SequenceRegressor : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm = nn.LSTM(8, 64, numLayers: 2, batchFirst: true);
    private readonly Linear head = nn.Linear(64, 1);

    public SequenceRegressor() : base(nameof(SequenceRegressor)) => RegisterComponents();

    public override Tensor forward(Tensor sequences) => head.call(lstm.call(sequences).Item1[.., -1, ..]);

    public static void Train(Tensor sequences, Tensor targets, int epochs)
    {
        var model = new SequenceRegressor();
        var optimizer = optim.Adam(model.parameters(), 1e-3);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(sequences), targets).backward();
            optimizer.step();
        }
    }
}
