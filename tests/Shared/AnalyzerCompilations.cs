using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Tests.Shared;

/// <summary>
/// What the tests compile TorchSharp code against and analyse it with: the running runtime's framework assemblies
/// and TorchSharp, and every analyzer GradGuard.Analyzers ships (found by reflection, so a new rule's analyzer is
/// exercised without the tests naming it).
/// </summary>
internal static class AnalyzerCompilations
{
    public static ImmutableArray<MetadataReference> References { get; } = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
        .Append(typeof(TorchSharp.torch).Assembly.Location)
        .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
        .ToImmutableArray();

    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = Instances<DiagnosticAnalyzer>(Assembly.Load(new AssemblyName("GradGuard.Analyzers")));

    /// <summary>One instance of every concrete type of the assembly that derives from <typeparamref name="T"/> and has a parameterless constructor.</summary>
    public static ImmutableArray<T> Instances<T>(Assembly assembly) => assembly.GetTypes()
        .Where(type => typeof(T).IsAssignableFrom(type) && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null)
        .Select(type => (T)Activator.CreateInstance(type)!)
        .ToImmutableArray();
}
