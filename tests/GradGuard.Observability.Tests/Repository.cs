using GradGuard.Tests.Shared;

namespace GradGuard.Observability.Tests;

/// <summary>Paths into the repository the tests were built from, and its tool installer.</summary>
public static class Repository
{
    public static string DashboardsDirectory => Path.Combine(RepositoryRoot.Path, "samples", "dashboards");

    /// <summary>Installs Debian packages through <c>scripts/install-tools.sh</c>, which skips those already installed.</summary>
    public static void InstallTools(params string[] tools) =>
        ChildProcess.Run("bash", new[] { Path.Combine(RepositoryRoot.Path, "scripts", "install-tools.sh") }.Concat(tools), TimeSpan.FromMinutes(15));
}
