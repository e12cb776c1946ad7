// expect: none
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ParametersLoopElsewhere;

/// <summary>A policy network built by a factory; the training script initialises its weights through <c>named_parameters()</c>.</summary>
public static class PolicyFactory
{
    public static Sequential Create(long observations, long actions, long hidden = 256) => Sequential(
        ("fc1", Linear(observations, hidden)), ("act1", ReLU()),
        ("fc2", Linear(hidden, hidden)), ("act2", ReLU()),
        ("fc3", Linear(hidden, hidden)), ("act3", ReLU()),
        ("policy", Linear(hidden, actions)));
}
