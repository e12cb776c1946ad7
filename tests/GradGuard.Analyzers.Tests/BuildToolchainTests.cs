using GradGuard.Tests.Shared;

namespace GradGuard.Analyzers.Tests;

/// <summary>
/// The analyzers as the build and <c>dotnet format</c> run them, on throwaway projects outside the repository that
/// reference TorchSharp and the two analyzer assemblies this test project was built with.
/// </summary>
public sealed class BuildToolchainTests(ToolchainFixture toolchain) : IClassFixture<ToolchainFixture>
{
    [Fact]
    public void Warnings_as_errors_fail_the_build_and_SARIF_lists_every_rule()
    {
        var project = toolchain.CreateProject("CiGate", Path.Combine(RepositoryRoot.Path, "samples", "BadModels", "*.cs"));
        var sarif = Path.Combine(Path.GetDirectoryName(project)!, "gradguard.sarif");

        var build = Command.Dotnet(new[] { "build", project, "-p:TreatWarningsAsErrors=true", $"-p:ErrorLog={sarif}%2Cversion=2.1" });

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error GG0001", build.Output);
        var log = File.ReadAllText(sarif);
        Assert.Contains("\"version\": \"2.1.0\"", log);
        foreach (var rule in new[] { "GG0001", "GG0002", "GG0003", "GG0004", "GG0006", "GG0007" })
        {
            Assert.Contains($"\"ruleId\": \"{rule}\"", log);
        }

        Assert.Contains("\"level\": \"error\"", log);
    }

    [Fact]
    public void Dotnet_format_applies_the_GG0002_fix_and_the_result_builds_clean()
    {
        var project = toolchain.CreateProject("FormatMe", sourceFile: null);
        var source = Path.Combine(Path.GetDirectoryName(project)!, "Model.cs");
        File.WriteAllText(source, """
            using System.Collections.Generic;
            using TorchSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            public static class Model
            {
                public static Sequential Build()
                {
                    var layers = new List<nn.Module<Tensor, Tensor>>();
                    for (int i = 0; i < 8; i++)
                    {
                        layers.Add(nn.Linear(64, 64));
                        layers.Add(nn.ReLU());
                    }

                    var head = nn.Linear(64, 64);
                    return nn.Sequential(nn.Sequential(layers), head, nn.ReLU(), nn.Linear(64, 10));
                }
            }

            public sealed class FieldNet : nn.Module<Tensor, Tensor>
            {
                private readonly Linear input = nn.Linear(784, 512);
                private readonly Sequential body = nn.Sequential(
                    nn.Linear(512, 512), nn.ReLU(),
                    nn.Linear(512, 512), nn.ReLU());
                private readonly Linear head = nn.Linear(512, 10);

                public FieldNet() : base(nameof(FieldNet)) => RegisterComponents();

                public override Tensor forward(Tensor x) => head.forward(body.forward(input.forward(x).relu()));
            }
            """);
        Assert.Equal(0, Command.Dotnet(new[] { "restore", project }).ExitCode);

        var format = Command.Dotnet(new[] { "format", "analyzers", project, "--diagnostics", "GG0002", "--severity", "warn", "--no-restore" });
        var build = Command.Dotnet(new[] { "build", project, "--no-restore" });

        Assert.True(format.ExitCode == 0, format.Output);
        var fixedSource = File.ReadAllText(source);
        Assert.Contains("torch.nn.init.kaiming_normal_(linear.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU)", fixedSource);
        Assert.Contains("torch.nn.init.kaiming_normal_(head.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU)", fixedSource);
        Assert.Contains("torch.nn.init.kaiming_normal_(input.weight, nonlinearity: torch.nn.init.NonlinearityType.ReLU)", fixedSource);
        // The field's initialiser moved into the constructor, its arguments one level deeper than the statement.
        Assert.Contains("""
                    body = nn.Sequential(
                        linear2, nn.ReLU(),
                        linear3, nn.ReLU());
            """, fixedSource);
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotContain("GG0002", build.Output);
    }
}

/// <summary>A scratch folder for the throwaway projects, removed afterwards.</summary>
public sealed class ToolchainFixture : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("gradguard-analyzers-").FullName;

    /// <summary>A net10.0 library using TorchSharp with GradGuard's analyzers and fixes, compiling <paramref name="sourceFile"/> if given.</summary>
    public string CreateProject(string name, string? sourceFile)
    {
        var folder = Directory.CreateDirectory(Path.Combine(scratch, name)).FullName;
        var analyzers = AppContext.BaseDirectory;
        var project = Path.Combine(folder, name + ".csproj");
        var compile = sourceFile is null ? "" : $"<Compile Include=\"{sourceFile}\" />";
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="0.107.0" />
                <Analyzer Include="{Path.Combine(analyzers, "GradGuard.Analyzers.dll")}" />
                <Analyzer Include="{Path.Combine(analyzers, "GradGuard.Analyzers.CodeFixes.dll")}" />
              </ItemGroup>
              <ItemGroup>
                {compile}
              </ItemGroup>
            </Project>
            """);
        return project;
    }

    public void Dispose() => Directory.Delete(scratch, recursive: true);
}
