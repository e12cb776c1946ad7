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
        public const string MinInitScaleLayersKey = "gradguard.GG0005.min_layers";
        public const string VanishingProductKey = "gradguard.GG0005.vanishing_product";
        public const string ExplodingProductKey = "gradguard.GG0005.exploding_product";

        private RuleOptions(int minSaturatingLayers, int minReluLayers, int minPlainDepth, double clipMaxNorm, int minInitScaleLayers, double vanishingProduct, double explodingProduct)
        {
            MinSaturatingLayers = minSaturatingLayers;
            MinReluLayers = minReluLayers;
            MinPlainDepth = minPlainDepth;
            ClipMaxNorm = clipMaxNorm;
            MinInitScaleLayers = minInitScaleLayers;
            VanishingProduct = vanishingProduct;
            ExplodingProduct = explodingProduct;
        }

        /// <summary>GG0001 fires at this many saturating activations in a row.</summary>
        public int MinSaturatingLayers { get; }

        /// <summary>GG0002 fires in networks with at least this many weight layers feeding a ReLU.</summary>
        public int MinReluLayers { get; }

        /// <summary>GG0003 fires at this many weight layers on the shortest path.</summary>
        public int MinPlainDepth { get; }

        /// <summary>The maximum gradient norm GG0004's fix clips to.</summary>
        public double ClipMaxNorm { get; }

        /// <summary>GG0005 judges runs of at least this many explicitly initialised weight layers.</summary>
        public int MinInitScaleLayers { get; }

        /// <summary>GG0005 reports a run whose variance gains multiply to this or less (between 0 and 1).</summary>
        public double VanishingProduct { get; }

        /// <summary>GG0005 reports a run with unbounded activations whose variance gains multiply to this or more (above 1).</summary>
        public double ExplodingProduct { get; }

        public static RuleOptions From(AnalyzerConfigOptions options) => new(
            Read(options, MinSaturatingLayersKey, 4),
            Read(options, MinReluLayersKey, 3),
            Read(options, MinPlainDepthKey, 20),
            ReadBetween(options, ClipMaxNormKey, 1.0, 0, double.PositiveInfinity),
            Read(options, MinInitScaleLayersKey, 3),
            ReadBetween(options, VanishingProductKey, 1e-3, 0, 1),
            ReadBetween(options, ExplodingProductKey, 1e3, 1, double.PositiveInfinity));

        private static int Read(AnalyzerConfigOptions options, string key, int fallback) =>
            options.TryGetValue(key, out var text) && int.TryParse(text.Trim(), out var value) && value > 0 ? value : fallback;

        /// <summary>A number strictly between <paramref name="above"/> and <paramref name="below"/>, or the fallback.</summary>
        private static double ReadBetween(AnalyzerConfigOptions options, string key, double fallback, double above, double below) =>
            options.TryGetValue(key, out var text)
            && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && value > above && value < below
                ? value
                : fallback;
    }
}
