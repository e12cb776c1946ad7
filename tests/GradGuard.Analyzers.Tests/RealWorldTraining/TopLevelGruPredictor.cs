// expect: none
// A top-level program that trains a GRU next-value predictor and clips through a local helper before each step.
using System;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

var gru = GRU(1, 16, batchFirst: true);
var readout = Linear(16, 1);
var parameters = new[] { gru.parameters(), readout.parameters() };
var optimizer = optim.Adam(System.Linq.Enumerable.Concat(gru.parameters(), readout.parameters()), 1e-2);
var series = sin(linspace(0, 12, 200)).reshape(1, -1, 1);
for (int epoch = 0; epoch < 30; epoch++)
{
    optimizer.zero_grad();
    var (states, _) = gru.call(series[.., ..^1, ..]);
    var loss = functional.mse_loss(readout.call(states), series[.., 1.., ..]);
    loss.backward();
    ClipAll(0.5);
    optimizer.step();
}

Console.WriteLine($"{parameters.Length} parameter groups trained");

void ClipAll(double maxNorm)
{
    nn.utils.clip_grad_norm_(gru.parameters(), maxNorm);
    nn.utils.clip_grad_norm_(readout.parameters(), maxNorm);
}
