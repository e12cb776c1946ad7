namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>What a node does to the gradient flowing back through it.</summary>
    internal enum LayerKind
    {
        /// <summary>Shape or regularisation layers (dropout, pooling, flatten): gradient passes through.</summary>
        Neutral,

        /// <summary>Linear or convolution: a weight matrix the gradient is multiplied by.</summary>
        Weight,

        /// <summary>Sigmoid, Tanh and their kin: derivative at most 0.25 (sigmoid) or 1 (tanh), near 0 when saturated.</summary>
        SaturatingActivation,

        /// <summary>ReLU and its kin: He initialisation keeps their forward and backward variance constant.</summary>
        ReluActivation,

        /// <summary>Other activations (GELU, SiLU, Softmax...): neither rule is about them.</summary>
        OtherActivation,

        /// <summary>BatchNorm, LayerNorm, GroupNorm...: re-centre activations and so break a saturating stack.</summary>
        Normalization,
    }
}
