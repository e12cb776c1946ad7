using System.Text.RegularExpressions;

namespace GradGuard.Observability.Tests;

/// <summary>The <c>--report</c> page, rendered by a real headless Chromium that can reach no network.</summary>
public sealed partial class ReportRenderingTests
{
    private static readonly string[] Configurations = { "sigmoid-default-6", "relu-default-6", "relu-he-6", "residual-relu-default-6" };

    /// <summary>The overview chart, then a norm heatmap, an end-layer chart and an activation heatmap per configuration.</summary>
    private static readonly int ExpectedCharts = 1 + 3 * Configurations.Length;

    [Fact]
    public void The_report_renders_every_chart_offline_in_headless_Chromium()
    {
        Repository.InstallTools("chromium");
        var scratch = Directory.CreateTempSubdirectory("gradguard-report-");
        try
        {
            string report = Path.Combine(scratch.FullName, "report.html");
            using (var sample = ChildProcess.StartGradientFlow(new[] { "--depths", "6", "--width", "16", "--batch", "16", "--steps", "4", "--report", report }))
            {
                sample.WaitForSuccess(TimeSpan.FromMinutes(2));
            }

            // The page sits alone in its folder and no host resolves, so it can only draw from what it inlines.
            string dom = ChildProcess.Run("chromium", new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                // Every host name fails to resolve, so a page that needed the network could not draw.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                $"--user-data-dir={Path.Combine(scratch.FullName, "chromium-profile")}",
                // Virtual time lets the page's scripts and ECharts' frames run to completion before the DOM is dumped.
                "--virtual-time-budget=15000",
                "--dump-dom", new Uri(report).AbsoluteUri,
            }, TimeSpan.FromMinutes(2));

            var root = RootElement().Match(dom);
            Assert.True(root.Success, $"Chromium dumped no <html> element:\n{dom[..Math.Min(dom.Length, 2000)]}");
            Assert.DoesNotContain("data-report-error", root.Value);
            Assert.Contains($"data-chart-count=\"{ExpectedCharts}\"", root.Value);
            Assert.Contains($"data-charts-rendered=\"{ExpectedCharts}\"", root.Value);
            Assert.True(Canvas().Count(dom) >= ExpectedCharts, $"Expected a canvas per chart ({ExpectedCharts}), found {Canvas().Count(dom)}.");
            Assert.All(Configurations, name => Assert.Contains($"<h2>{name}: ", dom));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"<html[^>]*>")]
    private static partial Regex RootElement();

    [GeneratedRegex(@"<canvas\b")]
    private static partial Regex Canvas();
}
