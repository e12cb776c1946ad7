using GradGuard.Tests.Shared;

namespace GradGuard.TorchSharp.Tests;

/// <summary>
/// The fix for TorchSharp's GLIBCXX_3.4.32 requirement (src/GradGuard.TorchSharp/buildTransitive), as the repository's
/// own projects import it: this test project's output holds the library it loads.
/// </summary>
public class NativeCompatTests
{
    [Fact]
    public void The_output_copy_needs_GLIBCXX_3_4_32_weakly_exactly_when_the_host_lacks_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchSharpNativeLibrary.FileName);

        Assert.Equal(!TorchSharpNativeLibrary.HostProvidesVersion, TorchSharpNativeLibrary.NeedsWeakly(library));
    }
}
