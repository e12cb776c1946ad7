using System.Diagnostics;
using System.Text;
using GradGuard.Tests.Shared;

namespace GradGuard.Observability.Tests;

/// <summary>A process the tests start, with its output captured; disposing it kills whatever is still running.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder standardOutput = new();

    private ChildProcess(Process process)
    {
        this.process = process;
    }

    public string Name { get; private init; } = "";

    /// <summary>Everything the process wrote to stdout and stderr so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>What the process wrote to stdout alone.</summary>
    public string StandardOutput
    {
        get
        {
            lock (output)
            {
                return standardOutput.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    /// <param name="environment">Variables to set on top of the test's own; a null value removes the variable.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = new Process { StartInfo = Command.StartInfo(fileName, arguments, workingDirectory: null, environment) };
        var child = new ChildProcess(process) { Name = Path.GetFileName(fileName) };
        process.OutputDataReceived += (_, line) => child.Append(line.Data, fromStandardOutput: true);
        process.ErrorDataReceived += (_, line) => child.Append(line.Data, fromStandardOutput: false);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Starts the GradientFlow sample built beside the tests, without the OTLP settings of the test's own environment.</summary>
    public static ChildProcess StartGradientFlow(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        Start("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "GradientFlow.dll") }.Concat(arguments), SampleEnvironment.With(environment));

    /// <summary>Runs a command to completion and returns its stdout, failing with all its output if it fails or overruns.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var child = Start(fileName, arguments);
        child.WaitForSuccess(timeout);
        return child.StandardOutput;
    }

    /// <summary>Waits for a zero exit code; kills the process and throws with its output on a timeout or a failure.</summary>
    public void WaitForSuccess(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Name} did not finish within {timeout.TotalSeconds:0} s. Output:\n{Output}");
        }

        // The parameterless overload waits for the redirected output to be drained.
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Name} exited with code {process.ExitCode}. Output:\n{Output}");
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
    }

    private void Append(string? line, bool fromStandardOutput)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
            if (fromStandardOutput)
            {
                standardOutput.AppendLine(line);
            }
        }
    }
}
