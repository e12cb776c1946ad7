using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>A parameter the monitor reads the gradient of, with the layer that owns it.</summary>
internal sealed record TrackedParameter(int LayerIndex, string Layer, string Name, Parameter Tensor, bool IsWeightMatrix)
{
    public string DisplayName => Layer.Length == 0 ? Name : $"{Layer}.{Name}";
}

/// <summary>An activation module whose output (rectifiers) or input (saturating) a forward hook reduces.</summary>
internal sealed record ObservedActivation(string Layer, ActivationKind Kind, nn.Module<Tensor, Tensor> Module);

/// <summary>
/// The parts of a module tree the monitor cares about, depth first in registration order, which for Sequential
/// and for modules whose fields are declared in forward order is input-to-output order.
/// </summary>
internal sealed class ModelStructure
{
    private ModelStructure(IReadOnlyList<TrackedParameter> parameters, IReadOnlyList<ObservedActivation> activations, IReadOnlySet<TrackedParameter> unitsSeenThroughGradient)
    {
        Parameters = parameters;
        Activations = activations;
        UnitsSeenThroughGradient = unitsSeenThroughGradient;
    }

    public IReadOnlyList<TrackedParameter> Parameters { get; }

    public IReadOnlyList<ObservedActivation> Activations { get; }

    /// <summary>
    /// Weight matrices followed by another weight layer with no activation module between them: their activation,
    /// if any, is applied functionally, so its dead units are read off zero rows of the weight gradient.
    /// </summary>
    public IReadOnlySet<TrackedParameter> UnitsSeenThroughGradient { get; }

    public static ModelStructure Discover(nn.Module model)
    {
        var parameters = new List<TrackedParameter>();
        var activations = new List<ObservedActivation>();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var leafOrder = new List<object>();

        foreach (var (layer, module) in DepthFirst("", model))
        {
            int layerIndex = -1;
            foreach (var (name, parameter) in module.named_parameters(recurse: false))
            {
                if (!seen.Add(parameter))
                {
                    continue;
                }

                if (layerIndex < 0)
                {
                    layerIndex = parameters.Count == 0 ? 0 : parameters[^1].LayerIndex + 1;
                }

                var tracked = new TrackedParameter(layerIndex, layer, name, parameter, name == "weight" && parameter.dim() >= 2);
                parameters.Add(tracked);
                if (tracked.IsWeightMatrix)
                {
                    leafOrder.Add(tracked);
                }
            }

            ActivationKind? kind = KindOf(module);
            if (kind is not null && module is nn.Module<Tensor, Tensor> hookable)
            {
                var activation = new ObservedActivation(layer, kind.Value, hookable);
                activations.Add(activation);
                leafOrder.Add(activation);
            }
        }

        return new ModelStructure(parameters, activations, WeightsWithoutActivationModule(leafOrder));
    }

    /// <summary>Depth first, so a block's layers come before the next block's: TorchSharp's named_modules() is breadth first.</summary>
    private static IEnumerable<(string Name, nn.Module Module)> DepthFirst(string path, nn.Module module)
    {
        yield return (path, module);
        foreach (var (name, child) in module.named_children())
        {
            foreach (var descendant in DepthFirst(path.Length == 0 ? name : $"{path}.{name}", child))
            {
                yield return descendant;
            }
        }
    }

    private static ActivationKind? KindOf(nn.Module module) => module switch
    {
        ReLU or ReLU6 => ActivationKind.Rectifier,
        Sigmoid or Tanh => ActivationKind.Saturating,
        _ => null,
    };

    private static HashSet<TrackedParameter> WeightsWithoutActivationModule(List<object> leafOrder)
    {
        var result = new HashSet<TrackedParameter>(ReferenceEqualityComparer.Instance);
        for (int index = 0; index + 1 < leafOrder.Count; index++)
        {
            if (leafOrder[index] is TrackedParameter weight && leafOrder[index + 1] is TrackedParameter)
            {
                result.Add(weight);
            }
        }

        return result;
    }
}
