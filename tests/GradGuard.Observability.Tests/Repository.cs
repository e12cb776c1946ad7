namespace GradGuard.Observability.Tests;

/// <summary>Paths into the repository the tests were built from, and its tool installer.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string DashboardsDirectory => Path.Combine(Root, "samples", "dashboards");

    /// <summary>Installs Debian packages through <c>scripts/install-tools.sh</c>, which skips those already installed.</summary>
    public static void InstallTools(params string[] tools) =>
        ChildProcess.Run("bash", new[] { Path.Combine(Root, "scripts", "install-tools.sh") }.Concat(tools), TimeSpan.FromMinutes(15));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GradGuard.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No GradGuard.sln above {AppContext.BaseDirectory}; the tests must run from a build inside the repository.");
    }
}
