using System.Collections.Immutable;
using GradGuard.Analyzers;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace GradGuard.Analyzers.Tests;

/// <summary>Runs the analyzer and fixers over sources compiled against .NET 8 and the real TorchSharp assembly.</summary>
internal static class Verify
{
    public const string Usings = TorchSharpTestSource.Usings;

    // The registry serves no Microsoft.NETCore.App.Ref 8.0.0, which ReferenceAssemblies.Net.Net80 asks for.
    private static readonly ReferenceAssemblies Net80 = new(
        "net8.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "8.0.31"),
        Path.Combine("ref", "net8.0"));

    private static readonly MetadataReference TorchSharp = MetadataReference.CreateFromFile(typeof(global::TorchSharp.torch).Assembly.Location);

    /// <summary>Checks the diagnostics in <paramref name="markup"/> (<c>{|GG0001:...|}</c>), with optional .editorconfig lines.</summary>
    public static async Task Diagnostics(string markup, params string[] editorConfig)
    {
        var test = new CSharpAnalyzerTest<GradientFlowAnalyzer, DefaultVerifier>();
        Configure(test, markup, editorConfig);
        await test.RunAsync();
    }

    /// <summary>Checks the diagnostics in several files, each given its path and markup.</summary>
    public static async Task DiagnosticsInFiles(params (string Path, string Markup)[] files)
    {
        var test = new CSharpAnalyzerTest<GradientFlowAnalyzer, DefaultVerifier>();
        ConfigureCompilation(test);
        foreach (var (path, markup) in files)
        {
            test.TestState.Sources.Add((path, markup));
        }

        await test.RunAsync();
    }

    /// <summary>
    /// Checks a fix turns <paramref name="markup"/> into <paramref name="fixedSource"/>, one by one and with Fix All, or
    /// into <paramref name="fixedAllSource"/> with Fix All where applying the fixes in turn orders the result differently.
    /// </summary>
    public static async Task Fix<TFix>(string markup, string fixedSource, int codeActionIndex = 0, string? fixedAllSource = null)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<GradientFlowAnalyzer, TFix, DefaultVerifier>
        {
            FixedCode = Usings + fixedSource,
            CodeActionIndex = codeActionIndex,
        };
        if (fixedAllSource is not null)
        {
            test.BatchFixedCode = Usings + fixedAllSource;
        }

        Configure(test, markup, []);
        test.FixedState.AdditionalReferences.Add(TorchSharp);
        await test.RunAsync();
    }

    private static void Configure(AnalyzerTest<DefaultVerifier> test, string markup, string[] editorConfig)
    {
        ConfigureCompilation(test);
        test.TestState.Sources.Add(Usings + markup);
        if (editorConfig.Length > 0)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*]\n" + string.Join("\n", editorConfig)));
        }
    }

    private static void ConfigureCompilation(AnalyzerTest<DefaultVerifier> test)
    {
        test.ReferenceAssemblies = Net80;
        test.TestState.AdditionalReferences.Add(TorchSharp);
    }
}
