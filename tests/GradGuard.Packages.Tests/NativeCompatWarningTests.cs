using System.Text;
using GradGuard.Tests.Shared;

namespace GradGuard.Packages.Tests;

/// <summary>
/// The package's build step on libraries it can and cannot make loadable, offered to it the way the SDK offers
/// TorchSharp's: a project that imports the step's targets, restored and run up to package-asset resolution.
/// </summary>
public sealed class NativeCompatWarningTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("gradguard-native-").FullName;

    [Fact]
    public void Each_library_that_cannot_be_made_loadable_gets_one_warning_naming_the_cause_and_the_remedy()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string original = Path.Combine(OutsideWorkspace.MachinePackagesFolder(), "torchsharp", OutsideWorkspace.PinnedVersion("TorchSharp"), "runtimes", "linux-x64", "native", TorchSharpNativeLibrary.FileName);
        var libraries = new Dictionary<string, string>
        {
            ["loadable"] = Offer("loadable", File.ReadAllBytes(original)),
            ["not-elf"] = Offer("not-elf", Encoding.ASCII.GetBytes("not a shared library")),
            // A need the loader would really miss: the one GLIBCXX_3.4.30 requirement renamed to a version no libstdc++ has.
            ["other-version"] = Offer("other-version", Renamed(File.ReadAllBytes(original), "GLIBCXX_3.4.30", "GLIBCXX_3.4.99")),
            ["unwritable"] = Offer("unwritable", File.ReadAllBytes(original)),
        };
        string project = WriteProject(libraries);
        // A file where the step would create the folder for its copy.
        string patchedRoot = Path.Combine(scratch, "obj", "Debug", "net10.0", "gradguard-native");
        Directory.CreateDirectory(patchedRoot);
        File.WriteAllText(Path.Combine(patchedRoot, "unwritable"), "in the way");

        var (exitCode, output) = Command.Dotnet(new[] { "msbuild", project, "-restore", "-t:ResolvePackageAssets", "-nologo" });

        Assert.True(exitCode == 0, output);
        var warnings = output.Split('\n').Where(line => line.Contains("warning GGB0001", StringComparison.Ordinal)).Distinct().ToList();
        if (TorchSharpNativeLibrary.HostProvidesVersion)
        {
            Assert.Empty(warnings);
            return;
        }

        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, line => line.Contains(libraries["not-elf"]) && line.Contains("is not a 64-bit little-endian ELF library") && line.Contains("Restore the TorchSharp package afresh"));
        Assert.Contains(warnings, line => line.Contains(libraries["other-version"]) && line.Contains("also needs GLIBCXX_3.4.99") && line.Contains("Install the libstdc++ of GCC 13 or later"));
        Assert.Contains(warnings, line => line.Contains(libraries["unwritable"]) && line.Contains("could not be written") && line.Contains("writable"));
        Assert.All(warnings, line => Assert.Contains("GradGuardSkipTorchSharpNativeCompat=true", line));
        Assert.True(TorchSharpNativeLibrary.NeedsWeakly(Path.Combine(patchedRoot, "loadable", TorchSharpNativeLibrary.FileName)));
    }

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static byte[] Renamed(byte[] image, string name, string replacement)
    {
        byte[] from = Encoding.ASCII.GetBytes(name + "\0");
        int at = image.AsSpan().IndexOf(from);
        Assert.True(at >= 0, $"{name} is not in the library.");
        Encoding.ASCII.GetBytes(replacement + "\0").CopyTo(image, at);
        return image;
    }

    /// <summary>Puts a library where the project will offer it, one folder per case.</summary>
    private string Offer(string name, byte[] contents)
    {
        string path = Path.Combine(scratch, "offered", name, TorchSharpNativeLibrary.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, contents);
        return path;
    }

    /// <summary>
    /// An executable project (so package assets are copied to its output) that imports the step and hands it each
    /// library as a native asset, with a destination folder per case so that their copies do not collide.
    /// </summary>
    private string WriteProject(Dictionary<string, string> libraries)
    {
        string targets = Path.Combine(RepositoryRoot.Path, "src", "GradGuard.TorchSharp", "buildTransitive", "GradGuard.TorchSharp.targets");
        string items = string.Concat(libraries.Select(library =>
            $"""<NativeCopyLocalItems Include="{library.Value}" CopyLocal="true" DestinationSubDirectory="{library.Key}/" />"""));
        string project = Path.Combine(scratch, "Offered.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <Import Project="{targets}" />
              <Target Name="OfferLibraries" AfterTargets="ResolvePackageAssets" BeforeTargets="GradGuardTorchSharpNativeCompat">
                <ItemGroup>{items}</ItemGroup>
              </Target>
            </Project>
            """);
        OutsideWorkspace.ShieldFromFoldersAbove(scratch);
        return project;
    }
}
