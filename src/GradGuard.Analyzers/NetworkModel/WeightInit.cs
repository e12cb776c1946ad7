using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>How a weight layer's weights are drawn, by family.</summary>
    internal enum InitScheme
    {
        /// <summary>No init call seen: TorchSharp's Kaiming-uniform with a = √5, a sixth of He's variance for ReLU.</summary>
        TorchSharpDefault,

        /// <summary>Kaiming/He for ReLU or leaky ReLU: variance 2 / fan_in.</summary>
        He,

        /// <summary>Xavier/Glorot: variance 2 / (fan_in + fan_out), made for tanh, too small for ReLU.</summary>
        Xavier,

        /// <summary>Kaiming with a gain for another nonlinearity (linear, sigmoid, tanh).</summary>
        KaimingForOtherNonlinearity,

        /// <summary>
        /// An explicit distribution whose scale the author wrote down (<c>normal_</c>, <c>uniform_</c>,
        /// <c>trunc_normal_</c>, <c>constant_</c>, <c>zeros_</c>, <c>ones_</c>, and their in-place tensor forms).
        /// </summary>
        Distribution,

        /// <summary>A structural init (<c>orthogonal_</c>, <c>sparse_</c>, <c>eye_</c>, <c>dirac_</c>) or weights copied in.</summary>
        Structured,

        /// <summary>Different inits on paths the source does not decide between: no rule judges the layer.</summary>
        Unknown,
    }

    /// <summary>The distribution an explicit init draws from.</summary>
    internal enum InitDistribution
    {
        None,
        Normal,
        Uniform,
        TruncatedNormal,
        Constant,
    }

    /// <summary>
    /// An init applied to a weight: its family, and for explicit distributions the arguments that set its scale
    /// (null where the source does not give them as constants), so a rule can compute the variance it gives.
    /// </summary>
    internal sealed class WeightInit
    {
        public static readonly WeightInit TorchSharpDefault = new(InitScheme.TorchSharpDefault, null);
        public static readonly WeightInit Unknown = new(InitScheme.Unknown, null);

        public WeightInit(InitScheme scheme, SyntaxNode? call)
        {
            Scheme = scheme;
            Call = call;
        }

        public InitScheme Scheme { get; }

        /// <summary>The call that applies it; null for TorchSharp's default.</summary>
        public SyntaxNode? Call { get; }

        public InitDistribution Distribution { get; private set; }

        /// <summary>Normal and truncated normal: the mean.</summary>
        public double? Mean { get; private set; }

        /// <summary>Normal and truncated normal: the standard deviation (before truncation).</summary>
        public double? Std { get; private set; }

        /// <summary>Uniform: the lower bound; truncated normal: where it is cut below.</summary>
        public double? Low { get; private set; }

        /// <summary>Uniform: the upper bound; truncated normal: where it is cut above.</summary>
        public double? High { get; private set; }

        /// <summary>Constant: the value every weight gets.</summary>
        public double? Constant { get; private set; }

        public static WeightInit Normal(SyntaxNode call, double? mean, double? std) =>
            new(InitScheme.Distribution, call) { Distribution = InitDistribution.Normal, Mean = mean, Std = std };

        public static WeightInit TruncatedNormal(SyntaxNode call, double? mean, double? std, double? low, double? high) =>
            new(InitScheme.Distribution, call) { Distribution = InitDistribution.TruncatedNormal, Mean = mean, Std = std, Low = low, High = high };

        public static WeightInit Uniform(SyntaxNode call, double? low, double? high) =>
            new(InitScheme.Distribution, call) { Distribution = InitDistribution.Uniform, Low = low, High = high };

        public static WeightInit ConstantValue(SyntaxNode call, double? value) =>
            new(InitScheme.Distribution, call) { Distribution = InitDistribution.Constant, Constant = value };

        /// <summary>The init a layer has after one of two paths the source does not decide between.</summary>
        public static WeightInit Join(WeightInit first, WeightInit second) =>
            ReferenceEquals(first, second) || (first.Scheme == second.Scheme && first.Scheme is InitScheme.TorchSharpDefault or InitScheme.He) ? first : Unknown;
    }

    /// <summary>
    /// A weight's fan-in and fan-out as <c>torch.nn.init</c> computes them from its shape: Linear [out, in] gives
    /// (in, out); Conv [out, in/groups, k…] gives (in/groups·∏k, out·∏k); ConvTranspose [in, out/groups, k…] gives
    /// (out/groups·∏k, in·∏k); Bilinear [out, in1, in2] gives (in1·in2, out·in2). Null where a size is not known.
    /// </summary>
    internal sealed class WeightShape
    {
        public WeightShape(long? fanIn, long? fanOut)
        {
            FanIn = fanIn;
            FanOut = fanOut;
        }

        public long? FanIn { get; }

        public long? FanOut { get; }
    }
}
