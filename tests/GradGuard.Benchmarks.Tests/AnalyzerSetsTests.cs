using GradGuard.Benchmarks.Analyzers;

namespace GradGuard.Benchmarks.Tests;

/// <summary>Which of GradGuard's analyzers a plain command-line build runs, as the benchmark's command-line share counts them.</summary>
public sealed class AnalyzerSetsTests
{
    [Fact]
    public void Only_the_analyzer_of_information_rules_is_left_out_of_a_build_without_an_error_log()
    {
        // GG0006 is the one rule reported as information; every other rule warns by default and runs in every build.
        Assert.Equal(new[] { "DirectForwardCallAnalyzer" }, AnalyzerSets.InformationOnlyGradGuard());
    }
}
