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

        /// <summary>
        /// BatchNorm, LayerNorm, GroupNorm...: rescale and re-centre activations, so they break a saturating stack and
        /// make the next layer's output independent of the previous weights' scale.
        /// </summary>
        Normalization,

        /// <summary>
        /// Something GradGuard cannot see into (a module or function from another library): it breaks every run and
        /// adds no depth, so no rule guesses across it.
        /// </summary>
        Opaque,
    }
}
