using System.Globalization;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>The rules' thresholds and the fixes' settings, read from <c>.editorconfig</c> for the file a diagnostic is reported in.</summary>
    internal sealed class RuleOptions
    {
        public const string MinSaturatingLayersKey = "gradguard.GG0001.min_saturating_layers";
        public const string MinReluLayersKey = "gradguard.GG0002.min_relu_layers";
        public const string MinPlainDepthKey = "gradguard.GG0003.min_plain_depth";
        public const string ClipMaxNormKey = "gradguard.GG0004.max_norm";

        private RuleOptions(int minSaturatingLayers, int minReluLayers, int minPlainDepth, double clipMaxNorm)
        {
            MinSaturatingLayers = minSaturatingLayers;
            MinReluLayers = minReluLayers;
            MinPlainDepth = minPlainDepth;
            ClipMaxNorm = clipMaxNorm;
        }

        /// <summary>GG0001 fires at this many saturating activations in a row.</summary>
        public int MinSaturatingLayers { get; }

        /// <summary>GG0002 fires in networks with at least this many weight layers feeding a ReLU.</summary>
        public int MinReluLayers { get; }

        /// <summary>GG0003 fires at this many weight layers on the shortest path.</summary>
        public int MinPlainDepth { get; }

        /// <summary>The maximum gradient norm GG0004's fix clips to.</summary>
        public double ClipMaxNorm { get; }

        public static RuleOptions From(AnalyzerConfigOptions options) => new(
            Read(options, MinSaturatingLayersKey, 4),
            Read(options, MinReluLayersKey, 3),
            Read(options, MinPlainDepthKey, 20),
            ReadPositive(options, ClipMaxNormKey, 1.0));

        private static int Read(AnalyzerConfigOptions options, string key, int fallback) =>
            options.TryGetValue(key, out var text) && int.TryParse(text.Trim(), out var value) && value > 0 ? value : fallback;

        private static double ReadPositive(AnalyzerConfigOptions options, string key, double fallback) =>
            options.TryGetValue(key, out var text)
            && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && value > 0 && !double.IsInfinity(value)
                ? value
                : fallback;
    }
}
