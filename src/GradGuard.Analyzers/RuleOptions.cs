using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers
{
    /// <summary>The rules' thresholds, read from <c>.editorconfig</c> for the file a network is reported in.</summary>
    internal sealed class RuleOptions
    {
        public const string MinSaturatingLayersKey = "gradguard.GG0001.min_saturating_layers";
        public const string MinReluLayersKey = "gradguard.GG0002.min_relu_layers";
        public const string MinPlainDepthKey = "gradguard.GG0003.min_plain_depth";

        private RuleOptions(int minSaturatingLayers, int minReluLayers, int minPlainDepth)
        {
            MinSaturatingLayers = minSaturatingLayers;
            MinReluLayers = minReluLayers;
            MinPlainDepth = minPlainDepth;
        }

        /// <summary>GG0001 fires at this many saturating activations in a row.</summary>
        public int MinSaturatingLayers { get; }

        /// <summary>GG0002 fires in networks with at least this many weight layers feeding a ReLU.</summary>
        public int MinReluLayers { get; }

        /// <summary>GG0003 fires at this many weight layers on the shortest path.</summary>
        public int MinPlainDepth { get; }

        public static RuleOptions From(AnalyzerConfigOptions options) => new(
            Read(options, MinSaturatingLayersKey, 4),
            Read(options, MinReluLayersKey, 3),
            Read(options, MinPlainDepthKey, 20));

        private static int Read(AnalyzerConfigOptions options, string key, int fallback) =>
            options.TryGetValue(key, out var text) && int.TryParse(text.Trim(), out var value) && value > 0 ? value : fallback;
    }
}
