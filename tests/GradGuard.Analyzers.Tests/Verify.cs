extern alias monitor;

using System.Collections.Immutable;
using GradGuard.Analyzers;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
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

    internal static readonly MetadataReference TorchSharp = MetadataReference.CreateFromFile(typeof(global::TorchSharp.torch).Assembly.Location);

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

    /// <summary>
    /// A test of <typeparamref name="TAnalyzer"/> over <paramref name="markup"/> (with optional .editorconfig lines), for
    /// tests that add expected diagnostics, files or references before running it.
    /// </summary>
    public static CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> AnalyzerTest<TAnalyzer>(string markup, params string[] editorConfig)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>();
        Configure(test, markup, editorConfig);
        return test;
    }

    /// <summary>Checks the diagnostics <typeparamref name="TAnalyzer"/> reports in <paramref name="markup"/>.</summary>
    public static Task Diagnostics<TAnalyzer>(string markup, params string[] editorConfig)
        where TAnalyzer : DiagnosticAnalyzer, new() =>
        AnalyzerTest<TAnalyzer>(markup, editorConfig).RunAsync();

    /// <summary>A fix test of <typeparamref name="TFix"/> over <typeparamref name="TAnalyzer"/>'s diagnostics, one by one and with Fix All.</summary>
    public static CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier> FixTest<TAnalyzer, TFix>(string markup, string fixedSource, params string[] editorConfig)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier> { FixedCode = Usings + fixedSource };
        Configure(test, markup, editorConfig);
        test.FixedState.AdditionalReferences.Add(TorchSharp);
        return test;
    }

    /// <summary>Checks <typeparamref name="TFix"/> turns <paramref name="markup"/> into <paramref name="fixedSource"/>.</summary>
    public static Task Fix<TAnalyzer, TFix>(string markup, string fixedSource, params string[] editorConfig)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new() =>
        FixTest<TAnalyzer, TFix>(markup, fixedSource, editorConfig).RunAsync();

    /// <summary>Compiles the test's sources against GradGuard.TorchSharp too, as a project that uses the monitor.</summary>
    public static TTest WithMonitorReference<TTest>(this TTest test)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.TestState.AdditionalReferences.AddRange(MonitorReferences);
        if (test is CodeFixTest<DefaultVerifier> fixTest)
        {
            fixTest.FixedState.AdditionalReferences.AddRange(MonitorReferences);
        }

        return test;
    }

    /// <summary>GradGuard.TorchSharp, and the logging abstractions its API names, which the compiler needs to bind calls to the monitor.</summary>
    internal static readonly MetadataReference[] MonitorReferences =
    {
        MetadataReference.CreateFromFile(typeof(monitor::GradGuard.TorchSharp.GradientMonitor).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location),
    };

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

/// <summary>Small conveniences for adding to a test before running it.</summary>
internal static class AnalyzerTestExtensions
{
    public static TTest Expecting<TTest>(this TTest test, params DiagnosticResult[] expected)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    /// <summary>Markup like <c>{|GG0007:...|}</c> stands for the first of a rule's descriptors (GG0007 has two).</summary>
    public static TTest WithFirstDescriptorForMarkup<TTest>(this TTest test)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.MarkupOptions |= MarkupOptions.UseFirstDescriptor;
        return test;
    }

    public static TTest WithCodeFixTestBehaviors<TTest>(this TTest test, CodeFixTestBehaviors behaviors)
        where TTest : CodeFixTest<DefaultVerifier>
    {
        test.CodeFixTestBehaviors |= behaviors;
        return test;
    }

    public static TTest WithSource<TTest>(this TTest test, string path, string source)
        where TTest : AnalyzerTest<DefaultVerifier>
    {
        test.TestState.Sources.Add((path, source));
        return test;
    }
}
