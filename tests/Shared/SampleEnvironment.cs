namespace GradGuard.Tests.Shared;

/// <summary>The environment the tests run the GradientFlow sample under.</summary>
internal static class SampleEnvironment
{
    /// <summary>
    /// <paramref name="variables"/>, and the removal of every other OTEL_* variable of the test run's own environment,
    /// which would choose the sample's exporters for it.
    /// </summary>
    public static Dictionary<string, string?> With(IReadOnlyDictionary<string, string?>? variables = null)
    {
        var environment = new Dictionary<string, string?>(variables ?? new Dictionary<string, string?>());
        foreach (string inherited in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name.StartsWith("OTEL_", StringComparison.Ordinal)))
        {
            environment.TryAdd(inherited, null);
        }

        return environment;
    }
}
