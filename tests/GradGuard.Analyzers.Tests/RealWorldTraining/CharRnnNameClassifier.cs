// expect: GG0004 GG0006 GG0006 GG0006 GG0006
// A character-level RNN that classifies names by language, built by hand from Linear layers (the PyTorch tutorial's
// shape, ported to TorchSharp): the trainer feeds the hidden state back through the loop over characters, so the
// unrolled network is as deep as the name is long, and nothing clips its gradient.
using System;
using TorchSharp;
using TorchSharp.Modules;

namespace NameClassifier
{
    internal sealed class CharRnn : torch.nn.Module
    {
        private readonly Linear inputToHidden;
        private readonly Linear inputToOutput;
        private readonly LogSoftmax softmax;
        private readonly int hiddenSize;

        public CharRnn(int inputSize, int hiddenSize, int outputSize) : base(nameof(CharRnn))
        {
            this.hiddenSize = hiddenSize;
            inputToHidden = torch.nn.Linear(inputSize + hiddenSize, hiddenSize);
            inputToOutput = torch.nn.Linear(inputSize + hiddenSize, outputSize);
            softmax = torch.nn.LogSoftmax(dim: 1);
            RegisterComponents();
        }

        public (torch.Tensor Output, torch.Tensor Hidden) forward(torch.Tensor input, torch.Tensor hidden)
        {
            var combined = torch.cat(new[] { input, hidden }, 1);
            var nextHidden = inputToHidden.forward(combined);
            var output = softmax.forward(inputToOutput.forward(combined));
            return (output, nextHidden);
        }

        public torch.Tensor InitialHidden() => torch.zeros(1, hiddenSize);
    }

    internal sealed class CharRnnTrainer
    {
        private readonly CharRnn rnn;
        private readonly NLLLoss criterion = torch.nn.NLLLoss();
        private readonly torch.optim.Optimizer optimizer;

        public CharRnnTrainer(CharRnn rnn, double learningRate = 0.005)
        {
            this.rnn = rnn;
            optimizer = torch.optim.SGD(rnn.parameters(), learningRate);
        }

        public float Train(torch.Tensor category, torch.Tensor name)
        {
            var hidden = rnn.InitialHidden();
            torch.Tensor output = torch.zeros(1, 1);
            optimizer.zero_grad();
            for (long i = 0; i < name.shape[0]; i++)
            {
                var (stepOutput, nextHidden) = rnn.forward(name[i], hidden);
                output = stepOutput;
                hidden = nextHidden;
            }

            var loss = criterion.forward(output, category);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
    }
}
