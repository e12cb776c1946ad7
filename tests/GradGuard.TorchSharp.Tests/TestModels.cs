using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp.Tests;

/// <summary>Small models whose gradients and activations the tests know in advance.</summary>
internal static class TestModels
{
    /// <summary>A Linear layer whose outputs are exactly its bias: zero weights, so unit i outputs bias[i] for every example.</summary>
    public static Linear ConstantLinear(int inputs, float[] bias)
    {
        var linear = nn.Linear(inputs, bias.Length);
        using var noGrad = torch.no_grad();
        linear.weight!.zero_();
        using var values = torch.tensor(bias);
        linear.bias!.copy_(values);
        return linear;
    }

    /// <summary>Bias that makes the first <paramref name="negative"/> of <paramref name="units"/> outputs -1 and the rest +1.</summary>
    public static float[] NegativeFirst(int units, int negative) =>
        Enumerable.Range(0, units).Select(unit => unit < negative ? -1f : 1f).ToArray();

    /// <summary>Runs forward, MSE backward against zeros, and one collection.</summary>
    public static GradientReport Step(nn.Module<Tensor, Tensor> model, GradientMonitor monitor, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        var output = model.call(input);
        var loss = nn.functional.mse_loss(output, torch.zeros_like(output));
        loss.backward();
        return monitor.Collect() ?? throw new InvalidOperationException("The step was not collected.");
    }

    /// <summary>TorchSharp keeps forward hooks in protected dictionaries, typed and module-level; their sizes are the only outside view of them.</summary>
    public static (int Before, int After) HookCounts(nn.Module module) =>
        (Count(module, "pre_hooks") + Count(module, "module_pre_hooks"), Count(module, "post_hooks") + Count(module, "module_post_hooks"));

    private static int Count(nn.Module module, string dictionary)
    {
        for (var type = module.GetType(); type is not null; type = type.BaseType)
        {
            var field = type.GetField(dictionary, BindingFlags.NonPublic | BindingFlags.Instance);
            if (field is not null)
            {
                return ((ICollection)field.GetValue(module)!).Count;
            }
        }

        throw new InvalidOperationException($"TorchSharp no longer keeps forward hooks in '{dictionary}'; update the test.");
    }
}

/// <summary>fc1 → functional ReLU → fc2: the activation has no module, so only the gradient shows its dead units.</summary>
internal sealed class FunctionalReluNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public FunctionalReluNetwork(Linear fc1, Linear fc2) : base(nameof(FunctionalReluNetwork))
    {
        this.fc1 = fc1;
        this.fc2 = fc2;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var hidden = fc1.call(input);
        using var activated = nn.functional.relu(hidden);
        return fc2.call(activated);
    }
}

/// <summary>Uses one Linear twice, so its parameters are registered under two names.</summary>
internal sealed class SharedLayerNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear first;
    private readonly Linear second;

    public SharedLayerNetwork(Linear shared) : base(nameof(SharedLayerNetwork))
    {
        first = shared;
        second = shared;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var hidden = first.call(input);
        return second.call(hidden);
    }
}

/// <summary>An LSTM over the sequence and a linear head on its last output.</summary>
internal sealed class RecurrentRegressor : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm = nn.LSTM(3, 8, batchFirst: true);
    private readonly Linear head = nn.Linear(8, 1);

    public RecurrentRegressor() : base(nameof(RecurrentRegressor)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        var (output, _, _) = lstm.call(input);
        return head.call(output.select(1, -1));
    }
}

/// <summary>Keeps every log entry with its structured properties and its formatted message.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, EventId EventId, Dictionary<string, object?> State, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((logLevel, eventId, ((IEnumerable<KeyValuePair<string, object?>>)state!).ToDictionary(pair => pair.Key, pair => pair.Value), formatter(state, exception)));
}
