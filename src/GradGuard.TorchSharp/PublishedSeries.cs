namespace GradGuard.TorchSharp;

/// <summary>
/// The per-layer series one report publishes, bounded: layers and sites are filtered by
/// <see cref="GradientMonitorOptions.PublishLayer"/>, cut to <see cref="GradientMonitorOptions.PublishedLayerDepth"/>,
/// and coarsened further while there would be more than <see cref="GradientMonitorOptions.MaxPublishedLayers"/> of
/// them. A block's gradient norm is the L2 norm over its parameters of one name (the norm of their concatenation), its
/// largest magnitude their largest, its zero fraction and histogram those of their concatenation, and its activation
/// figures are those of its worst site, so a block shows a problem whenever one of its layers has it. Histograms, 51
/// series per weight matrix, have their own bound, <see cref="GradientMonitorOptions.MaxPublishedHistogramLayers"/>.
/// </summary>
internal sealed class PublishedSeries
{
    private readonly Dictionary<string, string> parameterGroups;
    private readonly Dictionary<string, string> siteGroups;

    private PublishedSeries(GradientReport report, Grouping layers, Grouping sites, Grouping? histogramLayers)
    {
        Report = report;
        parameterGroups = layers.Groups;
        siteGroups = sites.Groups;
        Coarsened = new[] { (GradGuardMetrics.GradientNormInstrument, layers), ("gradguard.activation.*", sites), (GradGuardMetrics.HistogramInstrument, histogramLayers) }
            .Where(entry => entry.Item2?.Scheme is not null)
            .Select(entry => (entry.Item1, entry.Item2!.Items, entry.Item2.Groups.Values.Distinct().Count(), entry.Item2.Scheme!, entry.Item2.Maximum))
            .ToList();
        Norms = report.Parameters
            .Where(parameter => parameter.Placement != LayerPlacement.Unused && parameterGroups.ContainsKey(parameter.Layer))
            .GroupBy(parameter => (Layer: parameterGroups[parameter.Layer], parameter.Parameter))
            .Select(group => new PublishedNorm(
                group.Key.Layer,
                group.Min(parameter => parameter.LayerIndex),
                group.Key.Parameter,
                Math.Sqrt(group.Sum(parameter => parameter.Norm * parameter.Norm)),
                group.Any(parameter => parameter.Placement == LayerPlacement.Inferred))
            {
                MaxMagnitude = group.All(parameter => parameter.MaxMagnitude is not null) ? group.Select(parameter => parameter.MaxMagnitude!.Value).Aggregate(Math.Max) : null,
                ZeroFraction = group.All(parameter => parameter.ZeroFraction is not null) && group.Sum(parameter => parameter.Elements) > 0
                    ? group.Sum(parameter => parameter.ZeroFraction!.Value * parameter.Elements) / group.Sum(parameter => parameter.Elements)
                    : null,
            })
            .OrderBy(norm => norm.LayerIndex)
            .ToList();
        Histograms = histogramLayers is null
            ? Array.Empty<PublishedHistogram>()
            : report.WeightGradients
                .Where(parameter => parameter.Histogram is not null && histogramLayers.Groups.ContainsKey(parameter.Layer))
                .GroupBy(parameter => (Layer: histogramLayers.Groups[parameter.Layer], parameter.Parameter))
                .Select(group => new PublishedHistogram(
                    group.Key.Layer,
                    group.Min(parameter => parameter.LayerIndex),
                    group.Key.Parameter,
                    Enumerable.Range(0, GradientHistogram.Bins).Select(bin => group.Sum(parameter => parameter.Histogram![bin])).ToArray()))
                .OrderBy(histogram => histogram.LayerIndex)
                .ToList();
        Rectifiers = Worst(report.Activations.Where(site => site.Kind == ActivationKind.Rectifier), site => site.DeadFraction ?? 0);
        Saturating = Worst(report.Activations.Where(site => site.Kind == ActivationKind.Saturating), site => site.SaturatedFraction ?? 0);
        WithoutGradient = Worst(report.Activations.Where(site => site.Kind == ActivationKind.NotSeen), site => site.WithoutGradientFraction ?? 0);
    }

    public GradientReport Report { get; }

    /// <summary>One norm per published layer (or block) and parameter name, in forward order.</summary>
    public IReadOnlyList<PublishedNorm> Norms { get; }

    /// <summary>One magnitude histogram per published weight layer (or block) and weight name, in forward order; empty unless measured.</summary>
    public IReadOnlyList<PublishedHistogram> Histograms { get; }

    /// <summary>The rectifier sites published, each under its block's name.</summary>
    public IReadOnlyList<(string Layer, ActivationStatistics Site)> Rectifiers { get; }

    public IReadOnlyList<(string Layer, ActivationStatistics Site)> Saturating { get; }

    public IReadOnlyList<(string Layer, ActivationStatistics Site)> WithoutGradient { get; }

    /// <summary>The instruments that had to be coarsened beyond what the options asked for: name, items, groups, how, and the bound that forced it.</summary>
    public IReadOnlyList<(string Instrument, int Items, int Groups, string Scheme, string Bound)> Coarsened { get; }

    public static PublishedSeries For(GradientReport report, GradientMonitorOptions options)
    {
        var layers = report.Parameters.Where(parameter => parameter.Placement != LayerPlacement.Unused)
            .Select(parameter => (parameter.Layer, parameter.Layer)).Distinct().ToList();
        var sites = report.Activations.Select(site => (site.Layer, site.Module)).ToList();
        var weightLayers = report.WeightGradients.Where(parameter => parameter.Histogram is not null).Select(parameter => (parameter.Layer, parameter.Layer)).Distinct().ToList();
        return new PublishedSeries(report,
            Grouping.Choose(layers, options, options.MaxPublishedLayers, nameof(GradientMonitorOptions.MaxPublishedLayers)),
            Grouping.Choose(sites, options, options.MaxPublishedLayers, nameof(GradientMonitorOptions.MaxPublishedLayers)),
            weightLayers.Count == 0 ? null : Grouping.Choose(weightLayers, options, options.MaxPublishedHistogramLayers, nameof(GradientMonitorOptions.MaxPublishedHistogramLayers)));
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
    private sealed record Grouping(Dictionary<string, string> Groups, int Items, string? Scheme, string Maximum)
    {
        /// <summary>Names the items after at most <paramref name="maximum"/> blocks; <paramref name="bound"/> is the option that sets it.</summary>
        public static Grouping Choose(IReadOnlyList<(string Name, string Module)> items, GradientMonitorOptions options, int maximum, string bound)
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
                if (groups.Values.Distinct().Count() <= maximum)
                {
                    return new Grouping(groups, published.Count, scheme, $"{bound} ({maximum})");
                }
            }

            return Runs(published, maximum, $"{bound} ({maximum})");
        }

        /// <summary>Consecutive top-level modules, in forward order, in runs of equal length named <c>first..last</c>.</summary>
        private static Grouping Runs(IReadOnlyList<(string Name, string Module)> items, int maximum, string bound)
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

            return new Grouping(groups, items.Count, $"runs of {length} top-level modules", bound);
        }

        private static string[] Segments(string path) => path.Length == 0 ? Array.Empty<string>() : path.Split('.');

        private static string Cut(string path, int depth) => string.Join('.', Segments(path).Take(depth));
    }
}

/// <summary>One published gradient-norm series: a layer's (or block's) parameters of one name.</summary>
internal sealed record PublishedNorm(string Layer, int LayerIndex, string Parameter, double Norm, bool OrderInferred)
{
    /// <summary>The largest |g| over the block's parameters of that name; null when not measured.</summary>
    public double? MaxMagnitude { get; init; }

    /// <summary>The fraction of exactly-zero elements over them; null when not measured.</summary>
    public double? ZeroFraction { get; init; }
}

/// <summary>One published magnitude histogram: a weight layer's (or block's) weights of one name, their counts added per bin.</summary>
internal sealed record PublishedHistogram(string Layer, int LayerIndex, string Parameter, long[] Counts);
