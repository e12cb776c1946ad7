using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GradGuard.Tests.Shared;

namespace GradGuard.Packages.Tests;

/// <summary>
/// Both GradGuard packages packed into a feed of their own, and a folder outside the repository for projects that
/// consume them as a stranger would. Its NuGet configuration knows no source but that feed and restores into a
/// package folder of its own, so no gradguard.* package can come from the machine's cache; every other package
/// (TorchSharp, libtorch, OpenTelemetry) is read from the machine's cache as a fallback folder, so nothing is
/// downloaded. Removed afterwards.
/// </summary>
public sealed class OutsideWorkspace : IDisposable
{
    private readonly IReadOnlyDictionary<string, string?> environment;

    public OutsideWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("gradguard-outside-").FullName;
        string feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        string packages = Path.Combine(Root, "packages");
        // NUGET_PACKAGES would win over the configuration's package folder, so the child processes get it set to ours.
        environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages };
        try
        {
            TorchSharpPackage = Pack("src/GradGuard.TorchSharp/GradGuard.TorchSharp.csproj", "GradGuard.TorchSharp", feed);
            AnalyzersPackage = Pack("src/GradGuard.Analyzers.Package/GradGuard.Analyzers.Package.csproj", "GradGuard.Analyzers", feed);
        }
        catch
        {
            Dispose();
            throw;
        }

        Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <packageSources>
                <clear />
                <add key="gradguard" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{MachinePackagesFolder()}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        ShieldFromFoldersAbove(Root);
    }

    /// <summary>The folder the consumer projects live in, outside the repository.</summary>
    public string Root { get; }

    /// <summary>The packed GradGuard.TorchSharp: its path and version.</summary>
    public (string Path, string Version) TorchSharpPackage { get; }

    /// <summary>The packed GradGuard.Analyzers: its path and version.</summary>
    public (string Path, string Version) AnalyzersPackage { get; }

    /// <summary>The version the repository pins for a third-party package, as a consumer would write it.</summary>
    public static string PinnedVersion(string package) =>
        XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(version => version.Attribute("Include")?.Value == package).Attribute("Version")!.Value;

    /// <summary>A package reference at the version the repository pins.</summary>
    public static string PinnedReference(string package) => $"""<PackageReference Include="{package}" Version="{PinnedVersion(package)}" />""";

    /// <summary>Writes a net10.0 project, as <c>dotnet new</c> makes one, with the given references.</summary>
    public void WriteProject(string relativePath, bool executable, params string[] references) => Write(relativePath, $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            {(executable ? "<OutputType>Exe</OutputType>" : "")}
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            {string.Join("\n    ", references)}
          </ItemGroup>
        </Project>
        """);

    /// <summary>Writes a file under <see cref="Root"/> and returns its full path.</summary>
    public string Write(string relativePath, string contents)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>Runs the .NET CLI in <see cref="Root"/> with the workspace's package folder.</summary>
    public (int ExitCode, string Output) Dotnet(params string[] arguments) => Command.Dotnet(arguments, Root, environment);

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>
    /// Puts empty Directory.Build.props/.targets and Directory.Packages.props in <paramref name="folder"/>: MSBuild stops
    /// its search for them there, so nothing in the folders above can reach the projects below.
    /// </summary>
    public static void ShieldFromFoldersAbove(string folder)
    {
        foreach (string stopper in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(folder, stopper), "<Project />");
        }
    }

    /// <summary>The machine's NuGet package folder, wherever NUGET_PACKAGES or the configuration puts it.</summary>
    public static string MachinePackagesFolder()
    {
        var (exitCode, output) = Command.Dotnet(new[] { "nuget", "locals", "global-packages", "--list" });
        Assert.True(exitCode == 0, output);
        return Regex.Match(output, @"global-packages:\s*(\S.*)").Groups[1].Value.Trim();
    }

    /// <summary>Packs a project of the repository, built already in this test run's configuration, into the feed.</summary>
    private static (string Path, string Version) Pack(string project, string packageId, string feed)
    {
        string configuration = typeof(OutsideWorkspace).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var (exitCode, output) = Command.Dotnet(new[] { "pack", Path.Combine(RepositoryRoot.Path, project), "--no-build", "-c", configuration, "-o", feed });
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);

        string package = Directory.GetFiles(feed, $"{packageId}.*.nupkg").Single(path => Regex.IsMatch(Path.GetFileName(path), $@"^{Regex.Escape(packageId)}\.\d"));
        return (package, Path.GetFileNameWithoutExtension(package)[(packageId.Length + 1)..]);
    }
}
