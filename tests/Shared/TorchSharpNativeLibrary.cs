namespace GradGuard.Tests.Shared;

/// <summary>What the GradGuard.TorchSharp build step does to TorchSharp's native library, read with binutils.</summary>
internal static class TorchSharpNativeLibrary
{
    public const string FileName = "libLibTorchSharp.so";

    /// <summary>The symbol version TorchSharp 0.107's native library asks of libstdc++.</summary>
    public const string Version = "GLIBCXX_3.4.32";

    /// <summary>Whether the libstdc++ the loader hands an application on this host defines <see cref="Version"/>.</summary>
    public static bool HostProvidesVersion { get; } = OperatingSystem.IsLinux() && Command.Run(
            "sh", new[] { "-c", "strings \"$(ldconfig -p | grep -m1 'libstdc++.so.6 (libc6,x86-64)' | sed 's/.*=> //')\"" })
        .Output.Split('\n').Contains(Version);

    /// <summary>Whether <paramref name="library"/> needs <paramref name="version"/> weakly (readelf -V shows "Flags: WEAK").</summary>
    public static bool NeedsWeakly(string library, string version = Version)
    {
        var (exitCode, output) = Command.Run("readelf", new[] { "-V", library });
        Assert.True(exitCode == 0, output);
        return output.Split('\n').Single(line => line.Contains("Name: " + version, StringComparison.Ordinal)).Contains("Flags: WEAK", StringComparison.Ordinal);
    }
}
