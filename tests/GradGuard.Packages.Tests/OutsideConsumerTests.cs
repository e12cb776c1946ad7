using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GradGuard.Tests.Shared;

namespace GradGuard.Packages.Tests;

/// <summary>
/// A stranger's projects outside the repository, using only the packed packages: a model library that references
/// GradGuard.Analyzers, GradGuard.TorchSharp and TorchSharp; a training program that references the library (so it
/// gets GradGuard.TorchSharp, and its build step, only transitively), libtorch and OpenTelemetry; and the README's
/// install example, which references GradGuard.TorchSharp directly.
/// </summary>
public sealed class OutsideConsumerTests : IClassFixture<OutsideConsumerTests.Solution>
{
    private readonly Solution solution;

    public OutsideConsumerTests(Solution solution)
    {
        this.solution = solution;
    }

    [Theory]
    [InlineData("GradGuard.TorchSharp")]
    [InlineData("GradGuard.Analyzers")]
    public void Each_package_describes_itself(string packageId)
    {
        var (package, version) = packageId == "GradGuard.TorchSharp" ? solution.Workspace.TorchSharpPackage : solution.Workspace.AnalyzersPackage;
        using var archive = ZipFile.OpenRead(package);
        var metadata = Nuspec(archive).Root!.Elements().Single(element => element.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)?.Value ?? "";

        Assert.Equal((packageId, version), (Field("id"), Field("version")));
        Assert.Matches(@"^\d+\.\d+\.\d+-dev\.\d{14}$", version);
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.NotNull(archive.GetEntry("README.md"));
        Assert.Contains("TorchSharp", Field("tags"));
        Assert.True(Field("description").Length > 100, Field("description"));
        var repository = metadata.Elements().Single(element => element.Name.LocalName == "repository");
        Assert.Equal("https://github.com/gradguard/gradguard", repository.Attribute("url")?.Value);
        Assert.Equal(Field("projectUrl"), repository.Attribute("url")?.Value);
    }

    [Fact]
    public void The_monitor_ships_its_build_step_and_a_symbol_package()
    {
        using var archive = ZipFile.OpenRead(solution.Workspace.TorchSharpPackage.Path);

        Assert.NotNull(archive.GetEntry("buildTransitive/GradGuard.TorchSharp.targets"));
        Assert.NotNull(archive.GetEntry("buildTransitive/GradGuardTorchSharpNative.cs"));
        Assert.NotNull(archive.GetEntry("buildTransitive/GradGuard.TorchSharp.props"));
        Assert.NotNull(archive.GetEntry("buildTransitive/GradGuard.TorchSharp.globalconfig"));
        Assert.NotNull(archive.GetEntry("lib/net8.0/GradGuard.TorchSharp.dll"));
        using var symbols = ZipFile.OpenRead(Path.ChangeExtension(solution.Workspace.TorchSharpPackage.Path, ".snupkg"));
        Assert.NotNull(symbols.GetEntry("lib/net8.0/GradGuard.TorchSharp.pdb"));
    }

    [Fact]
    public void The_analyzers_are_a_development_dependency_with_their_symbols_inside()
    {
        using var archive = ZipFile.OpenRead(solution.Workspace.AnalyzersPackage.Path);
        var metadata = Nuspec(archive).Root!.Elements().Single(element => element.Name.LocalName == "metadata");

        Assert.Equal("true", metadata.Elements().Single(element => element.Name.LocalName == "developmentDependency").Value);
        Assert.DoesNotContain(archive.Entries, entry => entry.FullName.StartsWith("lib/", StringComparison.Ordinal));
        foreach (string assembly in new[] { "GradGuard.Analyzers.dll", "GradGuard.Analyzers.CodeFixes.dll" })
        {
            using var reader = AssemblyIn(archive, "analyzers/dotnet/cs/" + assembly);
            Assert.Contains(reader.ReadDebugDirectory(), debug => debug.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        }
    }

    [Fact]
    public void The_package_carries_the_analyzers_compiled_ahead_of_time_for_linux_x64()
    {
        using var archive = ZipFile.OpenRead(solution.Workspace.AnalyzersPackage.Path);
        using var reader = AssemblyIn(archive, "precompiled/linux-x64/GradGuard.Analyzers.dll");
        // ReadyToRun code sits behind the CLI header's managed native header; a plain IL assembly has none.
        Assert.True(reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "precompiled/linux-x64/GradGuard.Analyzers.dll holds no ReadyToRun code");
        Assert.NotNull(archive.GetEntry("build/GradGuard.Analyzers.targets"));
    }

    [Fact]
    public void Only_the_plain_analyzers_ask_for_their_hot_methods_to_be_compiled_optimised_on_first_call()
    {
        using var archive = ZipFile.OpenRead(solution.Workspace.AnalyzersPackage.Path);
        using var plain = AssemblyIn(archive, "analyzers/dotnet/cs/GradGuard.Analyzers.dll");
        using var precompiled = AssemblyIn(archive, "precompiled/linux-x64/GradGuard.Analyzers.dll");

        // The runtime would compile a marked method again instead of running its ReadyToRun code.
        Assert.NotEmpty(MethodsMarkedAggressivelyOptimized(plain));
        Assert.Empty(MethodsMarkedAggressivelyOptimized(precompiled));
    }

    [Fact]
    public void A_linux_x64_build_runs_the_precompiled_analyzers_unless_told_not_to_and_both_find_the_same()
    {
        Assert.True(solution.Build.Value.ExitCode == 0, solution.Build.Value.Output);

        var precompiled = solution.Workspace.Dotnet("build", "Models/Models.csproj", "--no-restore", "--no-incremental", "-v:n");
        var plain = solution.Workspace.Dotnet("build", "Models/Models.csproj", "--no-restore", "--no-incremental", "-v:n", "-p:GradGuardPrecompiledAnalyzers=false");

        Assert.True(precompiled.ExitCode == 0, precompiled.Output);
        Assert.True(plain.ExitCode == 0, plain.Output);
        string expected = RuntimeInformation.RuntimeIdentifier == "linux-x64" ? "precompiled/linux-x64/GradGuard.Analyzers.dll" : "analyzers/dotnet/cs/GradGuard.Analyzers.dll";
        Assert.Equal(new[] { expected }, GradGuardAnalyzerPaths(precompiled.Output));
        Assert.Equal(new[] { "analyzers/dotnet/cs/GradGuard.Analyzers.dll" }, GradGuardAnalyzerPaths(plain.Output));
        Assert.DoesNotContain("CS8034", precompiled.Output);
        Assert.Equal(GradGuardWarnings(plain.Output), GradGuardWarnings(precompiled.Output));
        Assert.NotEmpty(GradGuardWarnings(precompiled.Output));
    }

    [Fact]
    public void The_build_restores_without_NuGet_warnings_and_shows_GG0002_for_the_ReLU_network_without_He_init()
    {
        var build = solution.Build.Value;

        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotContain("warning NU", build.Output);
        // GG0002 on the three ReLU layers of ReluNetwork (lines 10-12), none on SmallMlp's two.
        var flaggedLines = Regex.Matches(build.Output, @"Networks\.cs\((\d+),\d+\): warning GG0002").Select(match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(new[] { 10, 11, 12 }, flaggedLines.Distinct().Order());
    }

    [Fact]
    public void A_layer_called_through_forward_is_a_GG0006_warning_in_the_command_line_build_of_a_project_with_the_monitor()
    {
        var build = solution.Build.Value;

        // A command-line build runs an analyzer only when a rule of it is configured above Info: the monitor's package
        // raises GG0006, so `fc.forward(x)` in Head is a warning here, not only in the IDE.
        Assert.True(build.ExitCode == 0, build.Output);
        int line = Array.FindIndex(File.ReadAllLines(Path.Combine(solution.Workspace.Root, "Models", "Networks.cs")), text => text.Contains("fc.forward(x)", StringComparison.Ordinal)) + 1;
        Assert.Matches($@"Networks\.cs\({line},\d+\): warning GG0006: fc\.forward\(\.\.\.\) runs no forward hooks", build.Output);
    }

    [Fact]
    public void Warnings_as_errors_fail_a_build_that_compiles_and_pass_one_that_compiles_nothing()
    {
        Assert.True(solution.Build.Value.ExitCode == 0, solution.Build.Value.Output);

        // What docs/analyzers.md warns CI about: an up-to-date build runs no compiler, so no analyzer reports anything.
        var incremental = solution.Workspace.Dotnet("build", "Models/Models.csproj", "--no-restore", "-warnaserror");
        var full = solution.Workspace.Dotnet("build", "Models/Models.csproj", "--no-restore", "--no-incremental", "-warnaserror");

        Assert.True(incremental.ExitCode == 0, incremental.Output);
        Assert.DoesNotContain("GG0002", incremental.Output);
        Assert.NotEqual(0, full.ExitCode);
        Assert.Contains("error GG0002", full.Output);
    }

    [Fact]
    public void A_small_model_trains_three_steps_and_every_weight_layer_has_gradient_norm_points()
    {
        Assert.True(solution.Build.Value.ExitCode == 0, solution.Build.Value.Output);

        var run = Command.Dotnet(new[] { Path.Combine(solution.Workspace.Root, "Trainer", "bin", "Debug", "net10.0", "Trainer.dll") });

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => line.Split(' ')).ToList();
        var monitored = lines.Where(fields => fields[0] == "monitor").ToDictionary(fields => fields[1], fields => double.Parse(fields[2], CultureInfo.InvariantCulture));
        var exported = lines.Where(fields => fields[0] == "point" && fields[2] == "weight").GroupBy(fields => fields[1])
            .ToDictionary(points => points.Key, points => points.Select(fields => double.Parse(fields[3], CultureInfo.InvariantCulture)).ToList());
        Assert.Equal(new[] { "input", "hidden", "output" }, monitored.Keys);
        Assert.Equal(monitored.Keys.Order(), exported.Keys.Order());
        foreach (var (layer, norm) in monitored)
        {
            Assert.True(norm > 0 && double.IsFinite(norm), $"{layer}: {norm}");
            Assert.Equal(3, exported[layer].Count);
            Assert.Equal(norm, exported[layer][^1]);
        }
    }

    [Fact]
    public void The_README_monitor_example_compiles_as_written_and_runs_when_published()
    {
        var publish = solution.PublishReadme.Value;

        Assert.True(publish.ExitCode == 0, publish.Output);
        Assert.DoesNotContain("warning", publish.Output, StringComparison.OrdinalIgnoreCase);
        string published = Path.Combine(solution.Workspace.Root, "Readme", "published");
        Assert.Equal(!TorchSharpNativeLibrary.HostProvidesVersion, TorchSharpNativeLibrary.NeedsWeakly(Path.Combine(published, "runtimes", "linux-x64", "native", TorchSharpNativeLibrary.FileName)));
        var run = Command.Dotnet(new[] { Path.Combine(published, "Readme.dll") });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("step 100:", run.Output);
        Assert.Contains("gradguard.gradient.norm", run.Output);
    }

    [Fact]
    public void The_opt_out_property_leaves_the_native_library_as_TorchSharp_ships_it()
    {
        string output = Path.Combine(solution.Workspace.Root, "Readme", "opted-out");
        var build = solution.Workspace.Dotnet("build", "Readme/Readme.csproj", "-p:GradGuardSkipTorchSharpNativeCompat=true", "-o", output);

        Assert.True(build.ExitCode == 0, build.Output);
        Assert.False(TorchSharpNativeLibrary.NeedsWeakly(Path.Combine(output, "runtimes", "linux-x64", "native", TorchSharpNativeLibrary.FileName)));
        if (!TorchSharpNativeLibrary.HostProvidesVersion)
        {
            // The failure the build step exists for, as a user without it meets it.
            var run = Command.Dotnet(new[] { Path.Combine(output, "Readme.dll") });
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains($"version `{TorchSharpNativeLibrary.Version}' not found", run.Output);
        }
    }

    /// <summary>Where the compiler's command lines in a build's output load GradGuard.Analyzers.dll from, relative to the package.</summary>
    private static string[] GradGuardAnalyzerPaths(string buildOutput) =>
        Regex.Matches(buildOutput, @"/analyzer:\S*/gradguard\.analyzers/[^/]+/(\S+/GradGuard\.Analyzers\.dll)").Select(match => match.Groups[1].Value).Distinct().ToArray();

    private static string[] GradGuardWarnings(string buildOutput) =>
        Regex.Matches(buildOutput, @"\w+\.cs\(\d+,\d+\): warning GG\d{4}").Select(match => match.Value).Distinct().Order().ToArray();

    /// <summary>An assembly packed at <paramref name="path"/>, read into memory: a zip entry's stream cannot seek, as a PE reader must.</summary>
    private static PEReader AssemblyIn(ZipArchive package, string path)
    {
        var copy = new MemoryStream();
        using (var entry = package.GetEntry(path)!.Open())
        {
            entry.CopyTo(copy);
        }

        copy.Position = 0;
        return new PEReader(copy);
    }

    private static string[] MethodsMarkedAggressivelyOptimized(PEReader assembly)
    {
        var metadata = assembly.GetMetadataReader();
        return metadata.MethodDefinitions
            .Select(metadata.GetMethodDefinition)
            .Where(method => (method.ImplAttributes & MethodImplAttributes.AggressiveOptimization) != 0)
            .Select(method => metadata.GetString(method.Name))
            .ToArray();
    }

    private static XDocument Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(entry => entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    /// <summary>The projects, restored and built once for all the tests.</summary>
    public sealed class Solution : IDisposable
    {
        public Solution()
        {
            Workspace = new OutsideWorkspace();
            Workspace.WriteProject("Models/Models.csproj", executable: false,
                $"""<PackageReference Include="GradGuard.Analyzers" Version="{Workspace.AnalyzersPackage.Version}" PrivateAssets="all" />""",
                $"""<PackageReference Include="GradGuard.TorchSharp" Version="{Workspace.TorchSharpPackage.Version}" />""",
                OutsideWorkspace.PinnedReference("TorchSharp"));
            Workspace.Write("Models/Networks.cs", """
                using TorchSharp;
                using static TorchSharp.torch;

                namespace Models;

                public static class ReluNetwork
                {
                    // Three ReLU layers at TorchSharp's default init, a sixth of the variance ReLU needs.
                    public static nn.Module<Tensor, Tensor> Build() => nn.Sequential(
                        nn.Linear(32, 64), nn.ReLU(),
                        nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 1));
                }

                public static class SmallMlp
                {
                    public static nn.Module<Tensor, Tensor> Build() => nn.Sequential(
                        ("input", nn.Linear(8, 16)), ("relu", nn.ReLU()),
                        ("hidden", nn.Linear(16, 16)), ("tanh", nn.Tanh()),
                        ("output", nn.Linear(16, 1)));
                }

                public sealed class Head : nn.Module<Tensor, Tensor>
                {
                    private readonly nn.Module<Tensor, Tensor> fc = nn.Linear(16, 1);

                    public Head() : base(nameof(Head)) => RegisterComponents();

                    public override Tensor forward(Tensor x) => fc.forward(x);
                }
                """);
            Workspace.WriteProject("Trainer/Trainer.csproj", executable: true,
                """<ProjectReference Include="../Models/Models.csproj" />""",
                OutsideWorkspace.PinnedReference("libtorch-cpu-linux-x64"),
                OutsideWorkspace.PinnedReference("OpenTelemetry"),
                OutsideWorkspace.PinnedReference("OpenTelemetry.Exporter.InMemory"));
            // Prints every exported gradient-norm point and the monitor's own last weight norms, for the test to compare.
            Workspace.Write("Trainer/Program.cs", """
                using GradGuard.TorchSharp;
                using Models;
                using OpenTelemetry;
                using OpenTelemetry.Metrics;
                using TorchSharp;

                var exported = new List<MetricSnapshot>();
                using var metrics = Sdk.CreateMeterProviderBuilder().AddGradGuardInstrumentation().AddInMemoryExporter(exported).Build();
                torch.manual_seed(1);
                using var model = SmallMlp.Build();
                using var optimizer = torch.optim.SGD(model.parameters(), 0.01);
                using var monitor = GradientMonitor.Attach(model, new GradientMonitorOptions { ModelName = "outside" });
                using var inputs = torch.randn(16, 8);
                using var targets = torch.randn(16, 1);
                GradientReport? report = null;
                for (int step = 0; step < 3; step++)
                {
                    optimizer.zero_grad();
                    using var loss = torch.nn.functional.mse_loss(model.call(inputs), targets);
                    loss.backward();
                    report = monitor.Collect() ?? report;
                    optimizer.step();
                    metrics.ForceFlush();
                }

                foreach (var point in exported.Where(metric => metric.Name == GradGuardMetrics.GradientNormInstrument).SelectMany(metric => metric.MetricPoints))
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var tag in point.Tags)
                    {
                        tags[tag.Key] = tag.Value;
                    }

                    Console.WriteLine(FormattableString.Invariant($"point {tags[GradGuardMetrics.LayerAttribute]} {tags[GradGuardMetrics.ParameterAttribute]} {point.GetGaugeLastValueDouble():R}"));
                }

                foreach (var weight in report!.WeightGradients)
                {
                    Console.WriteLine(FormattableString.Invariant($"monitor {weight.Layer} {weight.Norm:R}"));
                }
                """);
            Build = new(() => Workspace.Dotnet("build", "Trainer/Trainer.csproj"));

            // As dotnet new console and the README's dotnet add package lines make it.
            Workspace.WriteProject("Readme/Readme.csproj", executable: true,
                $"""<PackageReference Include="GradGuard.TorchSharp" Version="{Workspace.TorchSharpPackage.Version}" />""",
                OutsideWorkspace.PinnedReference("TorchSharp"),
                OutsideWorkspace.PinnedReference("libtorch-cpu-linux-x64"),
                OutsideWorkspace.PinnedReference("OpenTelemetry.Exporter.Console"));
            Workspace.Write("Readme/Program.cs", ReadmeExample());
            PublishReadme = new(() => Workspace.Dotnet("publish", "Readme/Readme.csproj", "-o", "Readme/published"));
        }

        public OutsideWorkspace Workspace { get; }

        /// <summary>The first build of the model library and the training program, restore included.</summary>
        public Lazy<(int ExitCode, string Output)> Build { get; }

        /// <summary>The README example's first publish, restore included.</summary>
        public Lazy<(int ExitCode, string Output)> PublishReadme { get; }

        public void Dispose() => Workspace.Dispose();

        /// <summary>The C# block that follows the README's marker comment, exactly as a reader would copy it.</summary>
        private static string ReadmeExample()
        {
            const string Marker = "<!-- compiled and run by OutsideConsumerTests -->";
            string readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
            int marker = readme.IndexOf(Marker, StringComparison.Ordinal);
            Assert.True(marker >= 0, $"README.md has no {Marker} line before its install example.");
            int start = readme.IndexOf("```csharp\n", marker, StringComparison.Ordinal) + "```csharp\n".Length;
            return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
        }
    }
}
