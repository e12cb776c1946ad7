using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// What a collection derives from the forward order and from which parameters have gradients: the parameters in the
/// order the report lists them, how their norms are batched, and the lists of layers the report names. The same for
/// every collection whose pass follows the plan with the same gradients, so it is made once and kept for them.
/// </summary>
internal sealed class CollectionLayout
{
    private readonly bool[] presence;

    private CollectionLayout(ForwardOrder order, bool[] presence, IReadOnlyList<(PlacedLayer Layer, TrackedParameter Parameter)> parameters, GradientNorms norms, IReadOnlyList<string> skippedParameters)
    {
        Order = order;
        this.presence = presence;
        Parameters = parameters;
        Norms = norms;
        SkippedParameters = skippedParameters;
        UnusedLayers = order.Placed(LayerPlacement.Unused).Select(layer => layer.ToString()).ToList();
        LayersNotSeen = order.Placed(LayerPlacement.Inferred).Select(layer => layer.ToString()).ToList();
    }

    public ForwardOrder Order { get; }

    /// <summary>Every parameter with a gradient, with its layer, in forward order (layers that did not run last).</summary>
    public IReadOnlyList<(PlacedLayer Layer, TrackedParameter Parameter)> Parameters { get; }

    /// <summary>Their norms and the figures the options ask for, in as few calls as their shapes allow.</summary>
    public GradientNorms Norms { get; }

    public IReadOnlyList<string> SkippedParameters { get; }

    public IReadOnlyList<string> UnusedLayers { get; }

    public IReadOnlyList<string> LayersNotSeen { get; }

    public static CollectionLayout Of(ModelStructure structure, ForwardOrder order, Tensor?[] gradients, GradientMonitorOptions options)
    {
        var presence = gradients.Select(gradient => gradient is not null).ToArray();
        var parameters = order.Layers
            .SelectMany(layer => layer.Module.Parameters.Where(parameter => presence[parameter.Index]).Select(parameter => (layer, parameter)))
            .ToList();
        var skipped = structure.Parameters.Where(parameter => !presence[parameter.Index]).Select(parameter => parameter.DisplayName).ToList();
        return new CollectionLayout(order, presence, parameters, new GradientNorms(options), skipped);
    }

    /// <summary>True when exactly the parameters this layout was made for have gradients.</summary>
    public bool HasGradients(Tensor?[] gradients)
    {
        for (int index = 0; index < gradients.Length; index++)
        {
            if ((gradients[index] is not null) != presence[index])
            {
                return false;
            }
        }

        return true;
    }
}
