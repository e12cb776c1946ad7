using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// A parameter the monitor reads the gradient of, with the module that owns it. A class, not a record: a record's
/// equality would compare the parameters with TorchSharp's Tensor.Equals, element by element, at every lookup.
/// </summary>
internal sealed class TrackedParameter(int index, DeclaredModule owner, string name, Parameter tensor, bool isWeightMatrix)
{
    /// <summary>Position in declaration order: the parameter's place in <see cref="ModelStructure.Parameters"/>.</summary>
    public int Index { get; } = index;

    public DeclaredModule Owner { get; } = owner;

    public string Name { get; } = name;

    public Parameter Tensor { get; } = tensor;

    public bool IsWeightMatrix { get; } = isWeightMatrix;

    public string DisplayName => Owner.Path.Length == 0 ? Name : $"{Owner.Path}.{Name}";
}

/// <summary>How the output of a weight layer lays out its units, so that its rows of the weight gradient line up with them.</summary>
internal enum UnitLayout
{
    /// <summary>Linear: features are the last dimension, whatever comes before it.</summary>
    Last,

    /// <summary>Convolutions: channels are dimension 1 of (batch, channels, ...).</summary>
    Channels,
}

/// <summary>
/// One module of the tree as it was declared: its path, its place in depth-first registration order, and what the
/// monitor knows about its kind. Forward order comes from the hooks; this is what the monitor falls back to.
/// </summary>
internal sealed class DeclaredModule
{
    private readonly List<TrackedParameter> parameters = new();

    public DeclaredModule(int index, string path, nn.Module module, DeclaredModule? parent)
    {
        Index = index;
        Path = path;
        Module = module;
        Parent = parent;
        Activation = module switch
        {
            ReLU or ReLU6 => ActivationKind.Rectifier,
            Sigmoid or Tanh => ActivationKind.Saturating,
            _ => null,
        };
        Units = module switch
        {
            Linear => UnitLayout.Last,
            Conv1d or Conv2d or Conv3d => UnitLayout.Channels,
            _ => null,
        };
    }

    /// <summary>Position in depth-first registration order: the declaration order the monitor falls back to.</summary>
    public int Index { get; }

    /// <summary>Path as <c>named_modules()</c> spells it; empty for the model itself.</summary>
    public string Path { get; }

    public nn.Module Module { get; }

    public DeclaredModule? Parent { get; }

    /// <summary>Set for ReLU, ReLU6, Sigmoid and Tanh modules, whose calls are activation sites.</summary>
    public ActivationKind? Activation { get; }

    /// <summary>
    /// Set for Linear and ConvNd, whose weight-gradient rows are their output units: only for these can a unit
    /// without gradient be read off a zero row and its pre-activation off the output.
    /// </summary>
    public UnitLayout? Units { get; }

    /// <summary>Parameters this module owns directly (a parameter registered twice belongs to its first owner).</summary>
    public IReadOnlyList<TrackedParameter> Parameters => parameters;

    /// <summary>True for modules that carry a weight matrix or kernel: the layers "first" and "last" are counted among.</summary>
    public bool IsWeightLayer => WeightMatrix is not null;

    /// <summary>The module's weight matrix or kernel, whose rows are its units; null for other modules.</summary>
    public TrackedParameter? WeightMatrix { get; private set; }

    public bool IsLayer => parameters.Count > 0;

    public bool IsDescendantOf(DeclaredModule ancestor)
    {
        for (var module = Parent; module is not null; module = module.Parent)
        {
            if (ReferenceEquals(module, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    public void Add(TrackedParameter parameter)
    {
        parameters.Add(parameter);
        if (parameter.IsWeightMatrix)
        {
            WeightMatrix ??= parameter;
        }
    }

    public override string ToString() => Path.Length == 0 ? "(model)" : Path;
}

/// <summary>
/// The module tree as declared, depth first in registration order (TorchSharp's <c>named_modules()</c> is breadth
/// first). A module registered under two names is one module, under its first name.
/// </summary>
internal sealed class ModelStructure
{
    private ModelStructure(IReadOnlyList<DeclaredModule> modules, IReadOnlyList<TrackedParameter> parameters)
    {
        Modules = modules;
        Parameters = parameters;
    }

    /// <summary>Every distinct module, the model itself first; a module's <see cref="DeclaredModule.Index"/> is its position here.</summary>
    public IReadOnlyList<DeclaredModule> Modules { get; }

    /// <summary>Every distinct parameter, in declaration order.</summary>
    public IReadOnlyList<TrackedParameter> Parameters { get; }

    public IEnumerable<DeclaredModule> Layers => Modules.Where(module => module.IsLayer);

    public static ModelStructure Discover(nn.Module model)
    {
        var modules = new List<DeclaredModule>();
        var parameters = new List<TrackedParameter>();
        var seenModules = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        var seenParameters = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);

        void Visit(string path, nn.Module module, DeclaredModule? parent)
        {
            if (!seenModules.Add(module))
            {
                return;
            }

            var declared = new DeclaredModule(modules.Count, path, module, parent);
            modules.Add(declared);
            foreach (var (name, parameter) in module.named_parameters(recurse: false))
            {
                if (seenParameters.Add(parameter))
                {
                    var tracked = new TrackedParameter(parameters.Count, declared, name, parameter, name == "weight" && parameter.dim() >= 2);
                    declared.Add(tracked);
                    parameters.Add(tracked);
                }
            }

            foreach (var (name, child) in module.named_children())
            {
                Visit(path.Length == 0 ? name : $"{path}.{name}", child, declared);
            }
        }

        Visit("", model, null);
        return new ModelStructure(modules, parameters);
    }
}
