using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>The analyzers a compilation is measured with.</summary>
internal static class AnalyzerSets
{
    /// <summary>The analyzers of GradGuard.Analyzers, found by reflection so that new ones are measured without a change here.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> GradGuard() =>
        CSharpAnalyzers(Assembly.Load(new AssemblyName("GradGuard.Analyzers")).GetTypes());

    /// <summary>
    /// The type names of GradGuard's analyzers whose rules all default to Info or Hidden (GG0006's). A command-line build
    /// that writes no error log does not run such an analyzer at all, unless a config raises one of its rules, as the
    /// GradGuard.TorchSharp package does for GG0006; the IDE and a build with an error log run it.
    /// </summary>
    public static IReadOnlyList<string> InformationOnlyGradGuard() =>
        GradGuard()
            .Where(analyzer => analyzer.SupportedDiagnostics.All(rule => rule.DefaultSeverity <= DiagnosticSeverity.Info))
            .Select(analyzer => analyzer.GetType().Name)
            .ToList();

    /// <summary>
    /// The .NET SDK's code-analysis rules that a default build runs (enabled by default, severity Info or above),
    /// loaded from the newest SDK next to the running runtime; empty where no SDK is installed. They already
    /// bind every method body to operations, so with them GradGuard pays only for its own interpretation.
    /// </summary>
    public static ImmutableArray<DiagnosticAnalyzer> SdkDefault()
    {
        var sdkAnalyzers = SdkAnalyzerDirectory();
        if (sdkAnalyzers is null)
        {
            return ImmutableArray<DiagnosticAnalyzer>.Empty;
        }

        var types = new[] { "Microsoft.CodeAnalysis.NetAnalyzers.dll", "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll" }
            .Select(file => Path.Combine(sdkAnalyzers, file))
            .Where(File.Exists)
            .SelectMany(path => LoadableTypes(Assembly.LoadFrom(path)));
        return CSharpAnalyzers(types)
            .Where(analyzer => analyzer.SupportedDiagnostics.Any(rule => rule.IsEnabledByDefault && rule.DefaultSeverity >= DiagnosticSeverity.Info))
            .ToImmutableArray();
    }

    private static ImmutableArray<DiagnosticAnalyzer> CSharpAnalyzers(IEnumerable<Type> types) =>
        types
            .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
            .Where(type => type.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(attribute => attribute.Languages.Contains(LanguageNames.CSharp)))
            .OrderBy(type => type.FullName, StringComparer.Ordinal)
            .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
            .ToImmutableArray();

    /// <summary>The code fixers in the SDK's assemblies need Roslyn's Workspaces, which is not loaded here; the analyzers do not.</summary>
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.OfType<Type>();
        }
    }

    /// <summary>dotnet/sdk/&lt;newest version&gt;/Sdks/Microsoft.NET.Sdk/analyzers, found from dotnet/shared/Microsoft.NETCore.App/&lt;version&gt;/.</summary>
    private static string? SdkAnalyzerDirectory()
    {
        string dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string sdks = Path.Combine(dotnetRoot, "sdk");
        if (!Directory.Exists(sdks))
        {
            return null;
        }

        return Directory.GetDirectories(sdks)
            .Select(sdk => (Version: Version.TryParse(Path.GetFileName(sdk), out var version) ? version : null, Analyzers: Path.Combine(sdk, "Sdks", "Microsoft.NET.Sdk", "analyzers")))
            .Where(sdk => sdk.Version is not null && Directory.Exists(sdk.Analyzers))
            .OrderByDescending(sdk => sdk.Version)
            .Select(sdk => sdk.Analyzers)
            .FirstOrDefault();
    }
}
