namespace GradGuard.TorchSharp;

/// <summary>
/// The per-layer series one report publishes, bounded: layers and sites are filtered by
/// <see cref="GradientMonitorOptions.PublishLayer"/>, cut to <see cref="GradientMonitorOptions.PublishedLayerDepth"/>,
/// and coarsened further while there would be more than <see cref="GradientMonitorOptions.MaxPublishedLayers"/> of
/// them. A block's gradient norm is the L2 norm over its parameters of one name (the norm of their concatenation), and
/// its activation figures are those of its worst site, so a block shows a problem whenever one of its layers has it.
/// </summary>
internal sealed class PublishedSeries
{
    private readonly Dictionary<string, string> parameterGroups;
    private readonly Dictionary<string, string> siteGroups;

    private PublishedSeries(GradientReport report, Grouping layers, Grouping sites)
    {
        Report = report;
        parameterGroups = layers.Groups;
        siteGroups = sites.Groups;
        Coarsened = new[] { (GradGuardMetrics.GradientNormInstrument, layers), ("gradguard.activation.*", sites) }
            .Where(entry => entry.Item2.Scheme is not null)
            .Select(entry => (entry.Item1, entry.Item2.Items, entry.Item2.Groups.Values.Distinct().Count(), entry.Item2.Scheme!))
            .ToList();
        Norms = report.Parameters
            .Where(parameter => parameter.Placement != LayerPlacement.Unused && parameterGroups.ContainsKey(parameter.Layer))
            .GroupBy(parameter => (Layer: parameterGroups[parameter.Layer], parameter.Parameter))
            .Select(group => new PublishedNorm(
                group.Key.Layer,
                group.Min(parameter => parameter.LayerIndex),
                group.Key.Parameter,
                Math.Sqrt(group.Sum(parameter => parameter.Norm * parameter.Norm)),
                group.Any(parameter => parameter.Placement == LayerPlacement.Inferred)))
            .OrderBy(norm => norm.LayerIndex)
            .ToList();
        Rectifiers = Worst(report.Activations.Where(site => site.Kind == ActivationKind.Rectifier), site => site.DeadFraction ?? 0);
        Saturating = Worst(report.Activations.Where(site => site.Kind == ActivationKind.Saturating), site => site.SaturatedFraction ?? 0);
        WithoutGradient = Worst(report.Activations.Where(site => site.Kind == ActivationKind.NotSeen), site => site.WithoutGradientFraction ?? 0);
    }

    public GradientReport Report { get; }

    /// <summary>One norm per published layer (or block) and parameter name, in forward order.</summary>
    public IReadOnlyList<PublishedNorm> Norms { get; }

    /// <summary>The rectifier sites published, each under its block's name.</summary>
    public IReadOnlyList<(string Layer, ActivationStatistics Site)> Rectifiers { get; }

    public IReadOnlyList<(string Layer, ActivationStatistics Site)> Saturating { get; }

    public IReadOnlyList<(string Layer, ActivationStatistics Site)> WithoutGradient { get; }

    /// <summary>The instruments that had to be coarsened beyond what the options asked for: name, items, groups, how.</summary>
    public IReadOnlyList<(string Instrument, int Items, int Groups, string Scheme)> Coarsened { get; }

    public static PublishedSeries For(GradientReport report, GradientMonitorOptions options)
    {
        var layers = report.Parameters.Where(parameter => parameter.Placement != LayerPlacement.Unused)
            .Select(parameter => (parameter.Layer, parameter.Layer)).Distinct().ToList();
        var sites = report.Activations.Select(site => (site.Layer, site.Module)).ToList();
        return new PublishedSeries(report, Grouping.Choose(layers, options), Grouping.Choose(sites, options));
    }

    /// <summary>The published name of a parameter's layer, or null when it is not published.</summary>
    public string? LayerOf(string layer) => parameterGroups.GetValueOrDefault(layer);

    /// <summary>The published name of a site (or, for a site-less diagnosis, a layer), or null when it is not published.</summary>
    public string? SiteOf(string site) => siteGroups.GetValueOrDefault(site) ?? parameterGroups.GetValueOrDefault(site);

    private IReadOnlyList<(string Layer, ActivationStatistics Site)> Worst(IEnumerable<ActivationStatistics> sites, Func<ActivationStatistics, double> badness) =>
        sites.Where(site => siteGroups.ContainsKey(site.Layer))
            .GroupBy(site => siteGroups[site.Layer])
            .Select(group => (group.Key, group.MaxBy(badness)!))
            .ToList();

    /// <summary>Names items (layers, or sites with the module each belongs to) after the blocks they are published under.</summary>
    private sealed record Grouping(Dictionary<string, string> Groups, int Items, string? Scheme)
    {
        public static Grouping Choose(IReadOnlyList<(string Name, string Module)> items, GradientMonitorOptions options)
        {
            var published = options.PublishLayer is { } accept ? items.Where(item => accept(item.Module)).ToList() : items;
            int deepest = published.Select(item => Segments(item.Module).Length).DefaultIfEmpty(0).Max();
            int requested = options.PublishedLayerDepth ?? int.MaxValue;
            var levels = new List<(Func<(string Name, string Module), string> Name, string? Scheme)>();
            if (requested >= deepest)
            {
                levels.Add((item => item.Name, null));
                levels.Add((item => item.Module, "calls of a module combined"));
            }

            for (int depth = Math.Min(requested, deepest - 1); depth >= 1; depth--)
            {
                int cut = depth;
                levels.Add((item => Cut(item.Module, cut), cut == requested ? null : $"module paths cut to {cut} segments"));
            }

            foreach (var (name, scheme) in levels)
            {
                var groups = published.GroupBy(item => item.Name).ToDictionary(group => group.Key, group => name(group.First()));
                if (groups.Values.Distinct().Count() <= options.MaxPublishedLayers)
                {
                    return new Grouping(groups, published.Count, scheme);
                }
            }

            return Runs(published, options.MaxPublishedLayers);
        }

        /// <summary>Consecutive top-level modules, in forward order, in runs of equal length named <c>first..last</c>.</summary>
        private static Grouping Runs(IReadOnlyList<(string Name, string Module)> items, int maximum)
        {
            var blocks = items.Select(item => Cut(item.Module, 1)).Distinct().ToList();
            int length = (blocks.Count + maximum - 1) / maximum;
            var runOf = new Dictionary<string, string>();
            for (int start = 0; start < blocks.Count; start += length)
            {
                var run = blocks.Skip(start).Take(length).ToList();
                run.ForEach(block => runOf[block] = run.Count == 1 ? block : $"{run[0]}..{run[^1]}");
            }

            var groups = new Dictionary<string, string>();
            foreach (var item in items)
            {
                groups[item.Name] = runOf[Cut(item.Module, 1)];
            }

            return new Grouping(groups, items.Count, $"runs of {length} top-level modules");
        }

        private static string[] Segments(string path) => path.Length == 0 ? Array.Empty<string>() : path.Split('.');

        private static string Cut(string path, int depth) => string.Join('.', Segments(path).Take(depth));
    }
}

/// <summary>One published gradient-norm series: a layer's (or block's) parameters of one name.</summary>
internal sealed record PublishedNorm(string Layer, int LayerIndex, string Parameter, double Norm, bool OrderInferred);
