namespace GradGuard.Analyzers.Tests;

/// <summary>Every threshold is an .editorconfig option; severities go through dotnet_diagnostic.</summary>
public class OptionsTests
{
    [Fact]
    public Task Defaults_leave_a_small_network_alone() => Verify.Diagnostics(SmallNetwork(reported: false));

    [Fact]
    public Task Lower_thresholds_report_it() => Verify.Diagnostics(
        SmallNetwork(reported: true),
        "gradguard.GG0001.min_saturating_layers = 3",
        "gradguard.GG0002.min_relu_layers = 2",
        "gradguard.GG0003.min_plain_depth = 6");

    [Fact]
    public Task Severity_none_silences_a_rule() => Verify.Diagnostics(
        SmallNetwork(reported: false),
        "gradguard.GG0001.min_saturating_layers = 3",
        "dotnet_diagnostic.GG0001.severity = none");

    [Fact]
    public Task Invalid_values_fall_back_to_the_defaults() => Verify.Diagnostics(
        SmallNetwork(reported: false),
        "gradguard.GG0001.min_saturating_layers = many",
        "gradguard.GG0003.min_plain_depth = -1");

    /// <summary>Three tanh layers, two weight layers feeding ReLU, six weight layers: under every default threshold.</summary>
    private static string SmallNetwork(bool reported)
    {
        var sequential = reported ? "{|GG0001:{|GG0003:nn.Sequential|}|}" : "nn.Sequential";
        var reluLayer = reported ? "{|GG0002:nn.Linear(8, 8)|}" : "nn.Linear(8, 8)";
        return $$"""
            class Program
            {
                static void Main()
                {
                    var model = {{sequential}}(
                        nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                        {{reluLayer}}, nn.ReLU(), {{reluLayer}}, nn.ReLU(),
                        nn.Linear(8, 1));
                }
            }
            """;
    }
}
