namespace GradGuard.Benchmarks.Monitor;

/// <summary>What watches the gradients of a training step.</summary>
public enum Instrumentation
{
    /// <summary>Nothing: the step time every other variant is divided by.</summary>
    Bare,

    /// <summary>Nothing either, on a second copy of the model: its ratio to <see cref="Bare"/> is the noise floor of the run.</summary>
    BareControl,

    /// <summary>GradGuard collecting at every step (<c>CollectEvery = 1</c>).</summary>
    MonitorEveryStep,

    /// <summary>GradGuard with <c>CollectEvery = 10</c>.</summary>
    MonitorEvery10th,

    /// <summary>GradGuard with its default options: the cadence it chooses to keep within its cost budget.</summary>
    MonitorDefault,

    /// <summary>What one writes by hand without GradGuard: <c>.item()</c> per parameter, activations copied to the host by forward hooks.</summary>
    Naive,
}
