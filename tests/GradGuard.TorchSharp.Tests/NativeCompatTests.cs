using System.Diagnostics;

namespace GradGuard.TorchSharp.Tests;

/// <summary>The build's fix for TorchSharp's GLIBCXX_3.4.32 requirement (build/TorchSharpNativeCompat.targets).</summary>
public class NativeCompatTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void The_output_copy_needs_GLIBCXX_3_4_32_weakly_exactly_when_the_host_lacks_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string needs = Run("readelf", "-V", library);
        string needLine = needs.Split('\n').Single(line => line.Contains("Name: " + Version, StringComparison.Ordinal));

        bool hostHasVersion = Run("sh", "-c", "strings \"$(ldconfig -p | grep -m1 'libstdc++.so.6 (libc6,x86-64)' | sed 's/.*=> //')\"").Split('\n').Contains(Version);

        Assert.Equal(hostHasVersion ? "Flags: none" : "Flags: WEAK", needLine.Contains("Flags: WEAK", StringComparison.Ordinal) ? "Flags: WEAK" : "Flags: none");
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
