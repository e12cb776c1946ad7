// expect: GG0006 GG0006
// A Sequential MLP on MNIST-sized batches, as TorchSharp's README starts: not recurrent, so unclipped training is fine,
// but the model and the loss are run through forward(), which skips their hooks.
using System;
using TorchSharp;
using static TorchSharp.torch.nn;

var model = Sequential(
    ("flatten", Flatten()),
    ("fc1", Linear(784, 128)),
    ("relu1", ReLU()),
    ("drop", Dropout(0.2)),
    ("fc2", Linear(128, 10)));
var criterion = CrossEntropyLoss();
var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
var images = torch.randn(64, 1, 28, 28);
var labels = torch.randint(0, 10, new long[] { 64 });
for (int epoch = 0; epoch < 5; epoch++)
{
    optimizer.zero_grad();
    var loss = criterion.forward(model.forward(images), labels);
    loss.backward();
    optimizer.step();
    Console.WriteLine($"epoch {epoch}: loss {loss.item<float>():F4}");
}
