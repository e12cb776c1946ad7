namespace GradGuard.Tests.Shared;

/// <summary>
/// The regression suite's real-world-shaped models in tests/RealWorldModels: each .cs file at the top is a case of its
/// own, each folder one case whose files compile together.
/// </summary>
internal static class RealWorldModels
{
    public static string Folder { get; } = Path.Combine(RepositoryRoot.Path, "tests", "RealWorldModels");

    public static IEnumerable<(string Name, IReadOnlyList<string> Files)> Cases()
    {
        foreach (var file in Directory.EnumerateFiles(Folder, "*.cs").Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileNameWithoutExtension(file), new[] { file });
        }

        foreach (var folder in Directory.EnumerateDirectories(Folder).Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileName(folder), Directory.EnumerateFiles(folder, "*.cs").Order(StringComparer.Ordinal).ToList());
        }
    }
}
