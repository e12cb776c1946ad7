namespace GradGuard.Tests.Shared;

/// <summary>The checkout the tests run from.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    /// <summary>
    /// The regression suite's real-world-shaped models: each .cs file at the top of tests/RealWorldModels is a case of
    /// its own, each folder one case whose files compile together.
    /// </summary>
    public static IEnumerable<(string Name, IReadOnlyList<string> Files)> RealWorldModels()
    {
        var root = Path.Combine(Root, "tests", "RealWorldModels");
        foreach (var file in Directory.EnumerateFiles(root, "*.cs").Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileNameWithoutExtension(file), new[] { file });
        }

        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileName(folder), Directory.EnumerateFiles(folder, "*.cs").Order(StringComparer.Ordinal).ToList());
        }
    }

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "GradGuard.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("GradGuard.sln not found above " + AppContext.BaseDirectory);
    }
}
