namespace GradGuard.Tests.Shared;

/// <summary>
/// The regression suite's real-world-shaped code: networks in tests/RealWorldModels and training programs in
/// tests/RealWorldTraining. Each .cs file at the top of either folder is a case of its own, each subfolder one case
/// whose files compile together.
/// </summary>
internal static class RealWorldModels
{
    /// <summary>The folder that holds both suites' folders; cases' files are named relative to it.</summary>
    public static string Root { get; } = Path.Combine(RepositoryRoot.Path, "tests");

    public static IEnumerable<(string Name, IReadOnlyList<string> Files)> Cases() =>
        CasesIn(Path.Combine(Root, "RealWorldModels")).Concat(CasesIn(Path.Combine(Root, "RealWorldTraining")));

    private static IEnumerable<(string Name, IReadOnlyList<string> Files)> CasesIn(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.cs").Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileNameWithoutExtension(file), new[] { file });
        }

        foreach (var subfolder in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileName(subfolder), Directory.EnumerateFiles(subfolder, "*.cs").Order(StringComparer.Ordinal).ToList());
        }
    }
}
