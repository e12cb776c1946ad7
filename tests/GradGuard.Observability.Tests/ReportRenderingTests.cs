using System.Text.RegularExpressions;

namespace GradGuard.Observability.Tests;

/// <summary>The <c>--report</c> page, rendered by a real headless Chromium that can reach no network.</summary>
public sealed partial class ReportRenderingTests
{
    /// <summary>Depth 50 at width 64, where the sigmoid network's first-layer gradient underflows to exactly 0.</summary>
    private static readonly string[] Configurations =
    {
        "sigmoid-default-6", "relu-default-6", "relu-he-6", "residual-relu-default-6",
        "sigmoid-default-50", "relu-default-50", "relu-he-50", "residual-relu-default-50",
    };

    /// <summary>
    /// The overview chart, then per configuration a norm heatmap, an end-layer chart, an activation heatmap, an
    /// update-ratio heatmap, a loss chart, a magnitude histogram, a zero-fraction and a largest-magnitude heatmap.
    /// </summary>
    private static readonly int ExpectedCharts = 1 + 8 * Configurations.Length;

    [Fact]
    public void The_report_renders_every_chart_offline_in_headless_Chromium()
    {
        Repository.InstallTools("chromium");
        var scratch = Directory.CreateTempSubdirectory("gradguard-report-");
        try
        {
            string report = Path.Combine(scratch.FullName, "report.html");
            using (var sample = ChildProcess.StartGradientFlow(new[] { "--depths", "6,50", "--width", "64", "--batch", "32", "--steps", "3", "--report", report }))
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

            // Each configuration is coloured on its own scale: default-initialised ReLU's few decades of decay are not
            // flattened into the colour of He init's single one.
            var scales = NormScales().Match(root.Value).Groups[1].Value.Split(';').Select(scale => scale.Split(':')).ToDictionary(scale => scale[0], scale => scale[1]);
            Assert.Equal(Configurations, scales.Keys);
            Assert.NotEqual(scales["relu-default-6"], scales["relu-he-6"]);
            // The underflowed first/last ratio and first-layer norm are shown as 0, in the table and on the curves, not left out.
            Assert.Matches(@"<tr><td>sigmoid-default-50</td><td>0</td><td>0</td>", dom);
            Assert.DoesNotContain("data-underflow-marks=\"0\"", root.Value);
            Assert.Contains("data-underflow-marks=", root.Value);
            // Every configuration drew its first layer's histogram, each with at least its zero row and one octave.
            int histogramRows = int.Parse(HistogramRows().Match(root.Value).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(histogramRows, 2 * Configurations.Length, 51 * Configurations.Length);
            Assert.Equal(Configurations.Length, LayerChoices().Count(dom));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"<html[^>]*>")]
    private static partial Regex RootElement();

    [GeneratedRegex(@"data-norm-scales=""([^""]*)""")]
    private static partial Regex NormScales();

    [GeneratedRegex(@"data-histogram-rows=""(\d+)""")]
    private static partial Regex HistogramRows();

    [GeneratedRegex(@"<select class=""histogram-layer""><option>")]
    private static partial Regex LayerChoices();

    [GeneratedRegex(@"<canvas\b")]
    private static partial Regex Canvas();
}
