using System.Globalization;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// Links a runtime diagnosis to the compile-time rule that finds its cause in the source, when the model's structure
/// shows that cause: the activations the pass ran, the scale each weight layer was initialised at (read once, at
/// attach), the recurrent and normalisation modules it holds, and whether the step clipped its gradients. A diagnosis
/// whose cause the structure does not show cites nothing rather than a guess.
/// </summary>
internal sealed class RuleCitations
{
    /// <summary>The analyzers' defaults: GG0001's min_saturating_layers, GG0002's min_relu_layers, GG0003's min_plain_depth.</summary>
    private const int MinSaturatingRun = 4;
    private const int MinRectifierLayers = 3;
    private const int MinPlainDepth = 20;

    /// <summary>
    /// Init scales as var(w)·fan_in: TorchSharp's default kaiming_uniform_(a = √5) gives 1/3, Xavier about 1, He 2. Below
    /// 1 a rectifier stack shrinks its signal at every layer (GG0002); far from every usual init, the scale was chosen
    /// by hand (GG0005).
    /// </summary>
    private const double RectifierUnderScaled = 1.0;
    private const double VanishingInitScale = 0.1;
    private const double ExplodingInitScale = 6.0;

    private static readonly string HelpRoot = typeof(RuleCitations).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(metadata => metadata.Key == "GradGuardRulesDocumentation").Value!;

    private readonly IReadOnlyDictionary<string, double> initScales;
    private readonly IReadOnlySet<string> normalisationLayers;
    private readonly bool recurrent;

    private RuleCitations(IReadOnlyDictionary<string, double> initScales, IReadOnlySet<string> normalisationLayers, bool recurrent)
    {
        this.initScales = initScales;
        this.normalisationLayers = normalisationLayers;
        this.recurrent = recurrent;
    }

    /// <summary>The documentation page of a rule, from the repository address the build declares once.</summary>
    public static string HelpLink(string rule) => $"{HelpRoot}{rule}.md";

    /// <summary>Reads the structure once: every Linear/Conv weight's init scale, and the kinds of module.</summary>
    public static RuleCitations Discover(ModelStructure structure)
    {
        var weights = structure.Parameters
            .Where(parameter => parameter.IsWeightMatrix && parameter.Owner.Module is Linear or Conv1d or Conv2d or Conv3d or ConvTranspose1d or ConvTranspose2d or ConvTranspose3d)
            .ToList();
        var scales = new Dictionary<string, double>();
        if (weights.Count > 0)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            // Once, at attach: a host copy per weight costs nothing that matters, and lets layers of several dtypes or devices be read together.
            using var onHost = torch.stack(weights.Select(parameter => parameter.Tensor.var().to(ScalarType.Float64, torch.CPU) * (parameter.Tensor.numel() / parameter.Tensor.size(0))));
            var values = onHost.data<double>().ToArray();
            for (int index = 0; index < weights.Count; index++)
            {
                scales[weights[index].Owner.Path] = values[index];
            }
        }

        var normalisation = structure.Modules
            .Where(module => module.Module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d)
            .Select(module => module.Path)
            .ToHashSet();
        bool recurrent = structure.Modules.Any(module => module.Module is LSTM or GRU or RNN or LSTMCell or GRUCell or RNNCell);
        return new RuleCitations(scales, normalisation, recurrent);
    }

    /// <summary>Each diagnosis with the rule its cause is found by, when the structure shows one.</summary>
    public IReadOnlyList<GradientDiagnosis> Cite(IReadOnlyList<GradientDiagnosis> diagnoses, IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> sites, bool clipped)
    {
        if (diagnoses.Count == 0)
        {
            return diagnoses;
        }

        var model = new Evidence(this, parameters, sites);
        return diagnoses.Select(diagnosis => CauseOf(diagnosis, model, clipped) is { } cause
            ? diagnosis with
            {
                Rule = cause.Rule,
                RuleHelpLink = HelpLink(cause.Rule),
                Message = $"{diagnosis.Message} {cause.Reason} ({cause.Rule}, found at compile time: {HelpLink(cause.Rule)})",
            }
            : diagnosis).ToList();
    }

    private (string Rule, string Reason)? CauseOf(GradientDiagnosis diagnosis, Evidence model, bool clipped) => diagnosis.Kind switch
    {
        GradientProblem.VanishingGradients or GradientProblem.UpdatesTooSmall => model.VanishingCause() ?? (diagnosis.OrderInferred ? GG0006 : null),
        GradientProblem.SaturatedActivations when model.InSaturatingRun(diagnosis.Layer) => model.SaturatingRunCause(),
        GradientProblem.DyingRelu when model.UnderScaledRectifierRun(diagnosis.Layer) => model.RectifierCause(),
        GradientProblem.ExplodingGradients when recurrent && !clipped =>
            ("GG0004", "The model is recurrent and its gradients were not clipped before this collection."),
        GradientProblem.ExplodingGradients or GradientProblem.UpdatesTooLarge => model.ExplosiveInit(),
        _ => null,
    };

    private static readonly (string, string) GG0006 =
        ("GG0006", "Some layers ran without their hooks firing (called through forward()), so the layer order is partly inferred.");

    private static string Format(double value) => value.ToString("G2", CultureInfo.InvariantCulture);

    /// <summary>What one collection shows of the structure: the activation sites in forward order, and the init scale of the layer feeding each.</summary>
    private sealed class Evidence
    {
        private readonly RuleCitations citations;
        private readonly IReadOnlyList<ParameterGradient> weights;
        private readonly List<List<ActivationStatistics>> saturatingRuns;
        private readonly List<ActivationStatistics> underScaledRectifiers;

        public Evidence(RuleCitations citations, IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> sites)
        {
            this.citations = citations;
            weights = parameters.Where(parameter => parameter.IsWeightMatrix && parameter.Placement != LayerPlacement.Unused).ToList();
            saturatingRuns = SaturatingRuns(parameters, sites, citations.normalisationLayers);
            underScaledRectifiers = sites
                .Where(site => site.Kind == ActivationKind.Rectifier && site.WeightLayer is { } layer
                    && citations.initScales.TryGetValue(layer, out double scale) && scale < RectifierUnderScaled)
                .ToList();
        }

        private List<ActivationStatistics> LongestSaturatingRun => saturatingRuns.MaxBy(run => run.Count) ?? new List<ActivationStatistics>();

        public (string, string)? VanishingCause()
        {
            if (LongestSaturatingRun.Count >= MinSaturatingRun)
            {
                return SaturatingRunCause();
            }

            if (underScaledRectifiers.Count >= MinRectifierLayers)
            {
                return RectifierCause();
            }

            var vanishingInit = weights.Where(weight => citations.initScales.TryGetValue(weight.Layer, out double scale) && scale < VanishingInitScale).ToList();
            if (vanishingInit.Count > 0)
            {
                return ("GG0005", $"{vanishingInit.Count} weight layers, the first '{vanishingInit[0].Layer}', were initialised at var(w)·fan_in = {Format(citations.initScales[vanishingInit[0].Layer])}, far below any init that keeps the signal's scale (1 to 2).");
            }

            if (weights.Count >= MinPlainDepth && citations.normalisationLayers.Count == 0)
            {
                return ("GG0003", $"The pass runs {weights.Count} weight layers with no normalisation layer; a plain stack that deep needs skip connections.");
            }

            return null;
        }

        public bool InSaturatingRun(string? site) =>
            saturatingRuns.Any(run => run.Count >= MinSaturatingRun && run.Any(member => member.Layer == site));

        public (string, string) SaturatingRunCause()
        {
            var run = LongestSaturatingRun;
            return ("GG0001", $"The pass runs {run.Count} saturating activations in a row ('{run[0].Layer}' to '{run[^1].Layer}') with no normalisation between them; each passes back at most 0.25 (sigmoid) of the gradient.");
        }

        public bool UnderScaledRectifierRun(string? site) =>
            underScaledRectifiers.Count >= MinRectifierLayers && underScaledRectifiers.Any(member => member.Layer == site);

        public (string, string) RectifierCause()
        {
            var first = underScaledRectifiers[0];
            return ("GG0002", $"{underScaledRectifiers.Count} ReLU sites are fed by layers initialised at var(w)·fan_in = {Format(citations.initScales[first.WeightLayer!])} " +
                "(TorchSharp's default is 1/3), where ReLU needs He init's 2.");
        }

        public (string, string)? ExplosiveInit()
        {
            var explosive = weights.Where(weight => citations.initScales.TryGetValue(weight.Layer, out double scale) && scale > ExplodingInitScale).ToList();
            return explosive.Count == 0
                ? null
                : ("GG0005", $"{explosive.Count} weight layers, the first '{explosive[0].Layer}', were initialised at var(w)·fan_in = {Format(citations.initScales[explosive[0].Layer])}, far above He init's 2.");
        }

        /// <summary>Runs of saturating sites, in forward order, that no other site and no normalisation layer interrupts.</summary>
        private static List<List<ActivationStatistics>> SaturatingRuns(IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ActivationStatistics> sites, IReadOnlySet<string> normalisation)
        {
            var indexOf = parameters.GroupBy(parameter => parameter.Layer).ToDictionary(group => group.Key, group => group.First().LayerIndex);
            var normalisationIndices = normalisation.Where(indexOf.ContainsKey).Select(layer => indexOf[layer]).ToList();
            int Feeding(ActivationStatistics site) => site.WeightLayer is { } layer && indexOf.TryGetValue(layer, out int index) ? index : -1;

            var runs = new List<List<ActivationStatistics>>();
            List<ActivationStatistics>? current = null;
            foreach (var site in sites)
            {
                bool continues = current is not null && site.Kind == ActivationKind.Saturating
                    && !normalisationIndices.Any(index => index > Feeding(current[^1]) && index <= Feeding(site));
                if (continues)
                {
                    current!.Add(site);
                }
                else if (site.Kind == ActivationKind.Saturating)
                {
                    current = new List<ActivationStatistics> { site };
                    runs.Add(current);
                }
                else
                {
                    current = null;
                }
            }

            return runs;
        }
    }
}
