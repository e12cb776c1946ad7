namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>How a weight layer's weights were drawn, as far as the source says.</summary>
    internal enum WeightInit
    {
        /// <summary>No init call seen: TorchSharp's Kaiming-uniform with a = √5, a sixth of He's variance for ReLU.</summary>
        TorchSharpDefault,

        /// <summary>Kaiming/He for ReLU or leaky ReLU: variance 2 / fan_in.</summary>
        He,

        /// <summary>Xavier/Glorot: variance 2 / (fan_in + fan_out), made for tanh, too small for ReLU.</summary>
        Xavier,

        /// <summary>Kaiming with a gain for another nonlinearity (linear, sigmoid, tanh).</summary>
        KaimingForOtherNonlinearity,

        /// <summary>An explicit distribution (normal_, uniform_, orthogonal_...): the author chose its scale.</summary>
        Custom,
    }
}
