using System.Diagnostics;

namespace GradGuard.Tests.Shared;

/// <summary>Runs a program to completion and returns its exit code with everything it wrote.</summary>
internal static class Command
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var process = Process.Start(StartInfo(program, arguments, workingDirectory, environment))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} took longer than {Timeout}.");
        }

        return (process.ExitCode, output.Result + error.Result);
    }

    /// <summary>A redirected start of <paramref name="program"/>; a null value in <paramref name="environment"/> removes the variable.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string?>? environment)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return start;
    }

    /// <summary>
    /// Runs the .NET CLI as a user's shell would: without the MSBuild settings of the test host, which would point a
    /// child build at the test run's own SDK pieces. With node reuse off: a reused MSBuild node outlives the test run
    /// by minutes, holding whatever the run held (a CI lock, a working folder).
    /// </summary>
    public static (int ExitCode, string Output) Dotnet(IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>());
        variables.TryAdd("MSBUILDDISABLENODEREUSE", "1");
        foreach (string inherited in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)))
        {
            variables.TryAdd(inherited, null);
        }

        return Run("dotnet", arguments, workingDirectory, variables);
    }
}
