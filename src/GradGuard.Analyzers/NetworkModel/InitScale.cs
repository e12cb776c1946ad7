using System;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// How much a weight layer initialised with an explicit distribution scales the signal's variance:
    /// r = E[w²] · fan_in · k, with k = ½ before a ReLU-family activation (He's condition) and 1 otherwise (LeCun's).
    /// r = 1 keeps the scale; L such layers in a row multiply it by the product of their r.
    /// </summary>
    /// <remarks>
    /// E[w²] = Var(w) + mean², not Var(w) alone: the gradient flowing back is zero-mean, so what it is multiplied by
    /// is the weights' second moment, and a constant or shifted init scales it as much as a spread one does.
    /// </remarks>
    internal static class InitScale
    {
        /// <summary>
        /// The widest r that still counts as He's: Kaiming for a leaky ReLU of slope a ≤ 1 gives r = 1 / (1 + a²), down
        /// to ½, and the band is as wide above 1.
        /// </summary>
        private const double HeBand = 2;

        /// <summary>
        /// r for a layer whose weight is drawn from an explicit distribution the source gives as constants, with a known
        /// fan-in; null for any other layer, and for weights set to zero (a deliberate choice, not a scale).
        /// </summary>
        public static double? VarianceGain(LayerNode layer, bool feedsRelu)
        {
            if (layer.Init.Scheme != InitScheme.Distribution || layer.Shape?.FanIn is not { } fanIn || fanIn <= 0 || SecondMoment(layer.Init) is not { } moment)
            {
                return null;
            }

            var gain = moment * fanIn * (feedsRelu ? 0.5 : 1.0);
            return gain > 0 && !double.IsInfinity(gain) ? gain : null;
        }

        /// <summary>Whether a layer feeding a ReLU is initialised by hand to He's scale, <c>normal_(w, 0, Math.Sqrt(2.0 / fanIn))</c> and the like.</summary>
        public static bool IsHeScaled(LayerNode layer) =>
            VarianceGain(layer, feedsRelu: true) is { } gain && gain >= 1 / HeBand && gain <= HeBand;

        /// <summary>E[w²] of the distribution, or null where an argument it depends on is not a constant.</summary>
        private static double? SecondMoment(WeightInit init) => init.Distribution switch
        {
            InitDistribution.Normal => init.Std * init.Std + init.Mean * init.Mean,
            InitDistribution.Uniform => (init.Low * init.Low + init.Low * init.High + init.High * init.High) / 3,
            InitDistribution.TruncatedNormal => TruncatedSecondMoment(init.Mean, init.Std, init.Low, init.High),
            InitDistribution.Constant => init.Constant * init.Constant,
            _ => null,
        };

        /// <summary>
        /// E[w²] of N(mean, std²) cut to [low, high] (absolute bounds, as <c>trunc_normal_</c> takes them): with
        /// α = (low − mean) / std, β = (high − mean) / std and Z = Φ(β) − Φ(α), the mean moves to
        /// mean + std · (φ(α) − φ(β)) / Z and the variance becomes std² · (1 + (α φ(α) − β φ(β)) / Z − ((φ(α) − φ(β)) / Z)²).
        /// </summary>
        private static double? TruncatedSecondMoment(double? mean, double? std, double? low, double? high)
        {
            if (mean is not { } mu || std is not { } sigma || low is not { } a || high is not { } b || !(sigma > 0) || !(b > a))
            {
                return null;
            }

            var (alpha, beta) = ((a - mu) / sigma, (b - mu) / sigma);
            var mass = Cdf(beta) - Cdf(alpha);
            if (mass < 1e-6)
            {
                // A window far out in a tail: the difference of two CDFs near 1 says nothing reliable.
                return null;
            }

            var shift = (Density(alpha) - Density(beta)) / mass;
            var variance = sigma * sigma * (1 + ((Tail(alpha) - Tail(beta)) / mass) - (shift * shift));
            var shiftedMean = mu + (sigma * shift);
            return variance + (shiftedMean * shiftedMean);
        }

        private static double Density(double x) => double.IsInfinity(x) ? 0 : Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

        /// <summary>x·φ(x), which falls to 0 at an infinite bound.</summary>
        private static double Tail(double x) => double.IsInfinity(x) ? 0 : x * Density(x);

        private static double Cdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

        /// <summary>Abramowitz and Stegun 7.1.26, to 1.5·10⁻⁷: netstandard2.0 has no erf.</summary>
        private static double Erf(double x)
        {
            var t = 1 / (1 + (0.3275911 * Math.Abs(x)));
            var polynomial = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
            var value = 1 - (polynomial * Math.Exp(-x * x));
            return x < 0 ? -value : value;
        }
    }
}
