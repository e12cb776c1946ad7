using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using GradGuard.Analyzers.NetworkModel;
using GradGuard.Benchmarks.CallbackTiming;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// What any analyzer that interprets the networks' code must pay, whatever it does with it: binding the bodies it reads
/// to operations, and reporting what it finds through the driver. Each is measured on its own, on a compilation the
/// compiler has already compiled (as it has by the time analyzers run in a build), beside that compilation's own CPU:
/// <list type="bullet">
/// <item><c>bind_read_cpu_ms</c>: <c>GetOperation</c> on exactly the members the network model binds (read back from the
/// semantic models after a model pass), on fresh semantic models.</item>
/// <item><c>bind_all_cpu_ms</c>: the same on every member with code, which is what the driver binds for any analyzer that
/// registers operation actions, as the SDK's default rules do.</item>
/// <item><c>bind_read_first_file_cpu_ms</c> and <c>bind_read_compiled_cpu_ms</c>: the members the model binds, through the
/// driver's shared semantic models, from a probe's first semantic-model action and at the end of the compilation.</item>
/// <item><c>operations_read</c>, <c>walk_read_cpu_ms</c> and <c>walk_read_dispatch_cpu_ms</c>: the operations of those
/// members, bound already, each visited once; and visited with a switch on its kind and a hash of the symbol it names,
/// the least an interpreter over operation trees does at each. No interpreter of those members costs less.</item>
/// <item><c>gradguard_alone</c> and <c>gradguard_with_sdk</c>: each of GradGuard's analyzers' execution time in the driver's
/// own report, alone and beside the SDK's default analyzers. The driver raises the compiler's events on a task of its own,
/// so what is bound already when GradGuard asks depends on that race, and these figures scatter from run to run.</item>
/// <item><c>report_cpu_ms</c>: GradGuard's diagnostics reported through the driver by an analyzer that does nothing else,
/// timed inside its callbacks, and <c>format_cpu_ms</c> the compiler writing them as text.</item>
/// </list>
/// Everything runs on one thread; the shares are over <c>compile_cpu_ms</c>, the compilation's own emit (binding,
/// lowering, code generation; no parsing, no analyzers), which is less than a build's compiler CPU.
/// </summary>
internal static class AnalysisFloor
{
    private static readonly SymbolEqualityComparer Symbols = SymbolEqualityComparer.Default;

    public static void Measure(string prefix, CSharpCompilation compilation, Summary summary)
    {
        var read = MembersTheModelBinds(compilation);
        var compile = new List<double>();
        var bindRead = new List<double>();
        var bindAll = new List<double>();
        var readOperations = new List<IOperation>();
        int allMembers = 0;
        for (var repetition = 0; repetition < 2; repetition++)
        {
            var compiled = Compiled(compilation, compile);
            bindRead.Add(BindingCpuMilliseconds(compiled, read.Select(member => member.In(compiled)).ToList(), repetition == 0 ? readOperations : null));
            compiled = Compiled(compilation, compile);
            var all = compiled.SyntaxTrees.SelectMany(BindingFloor.MembersWithCode).ToList();
            allMembers = all.Count;
            bindAll.Add(BindingCpuMilliseconds(compiled, all));
        }

        double compileMs = Statistics.Median(compile);
        summary.Add($"{prefix}.compile_cpu_ms", compileMs, "F0");
        summary.Add($"{prefix}.members_read", read.Count);
        summary.Add($"{prefix}.members_with_code", allMembers);
        summary.Add($"{prefix}.bind_read_cpu_ms", Statistics.Median(bindRead), "F1");
        summary.Add($"{prefix}.bind_read_share", Statistics.Median(bindRead) / compileMs);
        summary.Add($"{prefix}.bind_all_cpu_ms", Statistics.Median(bindAll), "F1");
        summary.Add($"{prefix}.bind_all_share", Statistics.Median(bindAll) / compileMs);
        var (bareMs, dispatchMs, operations) = WalkingCpuMilliseconds(readOperations);
        summary.Add($"{prefix}.operations_read", operations);
        summary.Add($"{prefix}.walk_read_cpu_ms", bareMs, "F1");
        summary.Add($"{prefix}.walk_read_dispatch_cpu_ms", dispatchMs, "F1");
        summary.Add($"{prefix}.walk_read_dispatch_share", dispatchMs / compileMs);

        // In a build the compiler hands the trees it bound to the semantic models the driver shares, and GetOperation on
        // those only builds the operations; what GradGuard finds already bound depends on when it asks.
        summary.Add($"{prefix}.bind_read_first_file_cpu_ms", BindingInDriverCpuMilliseconds(compilation, read, atFirstFile: true), "F1");
        summary.Add($"{prefix}.bind_read_compiled_cpu_ms", BindingInDriverCpuMilliseconds(compilation, read, atFirstFile: false), "F1");

        var gradGuard = AnalyzerSets.GradGuard();
        var (alone, diagnostics) = DriverExecution(compilation, gradGuard);
        AddExecution(summary, $"{prefix}.gradguard_alone", alone, compileMs);
        var sdk = AnalyzerSets.SdkDefault();
        if (!sdk.IsEmpty)
        {
            var (withSdk, _) = DriverExecution(compilation, sdk.AddRange(gradGuard), gradGuard);
            AddExecution(summary, $"{prefix}.gradguard_with_sdk", withSdk, compileMs);
        }

        summary.Add($"{prefix}.diagnostics", diagnostics.Length);
        double report = ReportingCpuMilliseconds(compilation, diagnostics, gradGuard);
        summary.Add($"{prefix}.report_cpu_ms", report, "F1");
        summary.Add($"{prefix}.report_share", report / compileMs);
        double format = FormattingCpuMilliseconds(diagnostics);
        summary.Add($"{prefix}.format_cpu_ms", format, "F1");
        summary.Add($"{prefix}.format_share", format / compileMs);
    }

    /// <summary>A fresh copy of the compilation, emitted: its symbols complete, its semantic models not yet asked anything.</summary>
    private static CSharpCompilation Compiled(CSharpCompilation compilation, List<double> emitCpu)
    {
        var copy = compilation.Clone();
        long start = CallbackClock.ThreadCpuNanoseconds();
        using var assembly = new MemoryStream();
        if (!copy.Emit(assembly).Success)
        {
            throw new InvalidOperationException($"{compilation.AssemblyName} does not compile.");
        }

        emitCpu.Add((CallbackClock.ThreadCpuNanoseconds() - start) / 1e6);
        return copy;
    }

    private static double BindingCpuMilliseconds(Compilation compilation, IEnumerable<SyntaxNode> members, List<IOperation>? bound = null)
    {
        var models = new Dictionary<SyntaxTree, SemanticModel>();
        long start = CallbackClock.ThreadCpuNanoseconds();
        foreach (var member in members)
        {
            if (!models.TryGetValue(member.SyntaxTree, out var model))
            {
                models[member.SyntaxTree] = model = compilation.GetSemanticModel(member.SyntaxTree);
            }

            if (model.GetOperation(member) is { } operation)
            {
                bound?.Add(operation);
            }
        }

        return (CallbackClock.ThreadCpuNanoseconds() - start) / 1e6;
    }

    /// <summary>
    /// What reading the operation trees of the members the model reads costs before an interpreter does anything with
    /// them, on trees already bound: every operation visited once (<c>Bare</c>), and visited with the least an interpreter
    /// must do at each, switching on what it is and hashing the symbol it names (<c>Dispatch</c>). Medians of five walks.
    /// </summary>
    internal static (double BareMilliseconds, double DispatchMilliseconds, int Operations) WalkingCpuMilliseconds(List<IOperation> roots)
    {
        var bare = new List<double>();
        var dispatch = new List<double>();
        var operations = 0;
        for (var walk = 0; walk < 5; walk++)
        {
            long start = CallbackClock.ThreadCpuNanoseconds();
            operations = roots.Sum(Bare);
            long visited = CallbackClock.ThreadCpuNanoseconds();
            GC.KeepAlive(roots.Aggregate(0, (seen, root) => seen ^ Dispatch(root)));
            long dispatched = CallbackClock.ThreadCpuNanoseconds();
            bare.Add((visited - start) / 1e6);
            dispatch.Add((dispatched - visited) / 1e6);
        }

        return (Statistics.Median(bare), Statistics.Median(dispatch), operations);
    }

    private static int Bare(IOperation operation)
    {
        var operations = 1;
        foreach (var child in operation.ChildOperations)
        {
            operations += Bare(child);
        }

        return operations;
    }

    private static int Dispatch(IOperation operation)
    {
        var seen = operation switch
        {
            IInvocationOperation invocation => Symbols.GetHashCode(invocation.TargetMethod),
            IObjectCreationOperation creation => Symbols.GetHashCode(creation.Constructor),
            ILocalReferenceOperation local => Symbols.GetHashCode(local.Local),
            IParameterReferenceOperation parameter => Symbols.GetHashCode(parameter.Parameter),
            IMemberReferenceOperation member => Symbols.GetHashCode(member.Member),
            _ => (int)operation.Kind ^ (operation.ConstantValue.HasValue ? 1 : 0),
        };
        foreach (var child in operation.ChildOperations)
        {
            seen ^= Dispatch(child);
        }

        return seen;
    }

    /// <summary>
    /// The members whose code one pass of the network model binds: the roots of the member models each file's semantic
    /// model holds afterwards (Roslyn keeps one per member it has bound, in a private field read here by reflection).
    /// </summary>
    private static List<MemberPosition> MembersTheModelBinds(CSharpCompilation compilation)
    {
        var copy = compilation.Clone();
        var models = new SemanticModels(copy);
        new CompilationNetworks(copy, models).Find(CancellationToken.None);
        var trees = copy.SyntaxTrees.ToList();
        var members = new List<MemberPosition>();
        for (int index = 0; index < trees.Count; index++)
        {
            if (models.For(trees[index]) is not { } model)
            {
                continue;
            }

            foreach (SyntaxNode root in BoundMemberRoots(model))
            {
                members.Add(new MemberPosition(index, root.Span, root.RawKind));
            }
        }

        return members;
    }

    private static ICollection BoundMemberRoots(SemanticModel model)
    {
        var field = model.GetType().GetField("_memberModels", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"This Roslyn's {model.GetType().Name} has no _memberModels: the members the model binds cannot be read back.");
        return ((IDictionary)field.GetValue(model)!).Keys;
    }

    private static void AddExecution(Summary summary, string prefix, IReadOnlyDictionary<string, double> milliseconds, double compileMs)
    {
        summary.Add($"{prefix}_ms", milliseconds.Values.Sum(), "F1");
        summary.Add($"{prefix}_share", milliseconds.Values.Sum() / compileMs);
        foreach (var (analyzer, time) in milliseconds)
        {
            summary.Add($"{prefix}.{analyzer}.ms", time, "F1");
        }
    }

    /// <summary>The execution time of each of <paramref name="timed"/> in the driver's own report, on one thread.</summary>
    private static (IReadOnlyDictionary<string, double> Milliseconds, ImmutableArray<Diagnostic> Diagnostics) DriverExecution(
        CSharpCompilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableArray<DiagnosticAnalyzer>? timed = null)
    {
        // The driver compiles its own copy, raising the events its actions run on as the compiler does in a build.
        var withAnalyzers = GeneratedProject.OnOneThread(compilation.Clone(), analyzers);
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var milliseconds = (timed ?? analyzers).ToDictionary(
            analyzer => analyzer.GetType().Name,
            analyzer => withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalMilliseconds);
        return (milliseconds, diagnostics);
    }

    private static double ReportingCpuMilliseconds(CSharpCompilation compilation, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<DiagnosticAnalyzer> gradGuard)
    {
        var reporter = new Reporter(diagnostics, gradGuard.SelectMany(analyzer => analyzer.SupportedDiagnostics).ToImmutableArray());
        var (_, reported) = DriverExecution(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(reporter));
        if (reported.Length != diagnostics.Length)
        {
            throw new InvalidOperationException($"The reporter reported {reported.Length} of GradGuard's {diagnostics.Length} diagnostics.");
        }

        return reporter.CpuMilliseconds;
    }

    private static double FormattingCpuMilliseconds(ImmutableArray<Diagnostic> diagnostics)
    {
        long start = CallbackClock.ThreadCpuNanoseconds();
        foreach (var diagnostic in diagnostics)
        {
            CSharpDiagnosticFormatter.Instance.Format(diagnostic);
        }

        return (CallbackClock.ThreadCpuNanoseconds() - start) / 1e6;
    }

    /// <summary>A member's root by its file's index and its span: the same member in another copy of the compilation.</summary>
    private sealed record MemberPosition(int Tree, Microsoft.CodeAnalysis.Text.TextSpan Span, int Kind)
    {
        public SyntaxNode In(Compilation compilation)
        {
            var tree = compilation.SyntaxTrees.ElementAt(Tree);
            return tree.GetRoot().FindNode(Span, getInnermostNodeForTie: false).AncestorsAndSelf().First(node => node.Span == Span && node.RawKind == Kind);
        }
    }

    /// <summary>
    /// GetOperation on the members the model binds, through the driver's shared semantic models: in the first file's
    /// semantic-model action, where GradGuard builds the model (<paramref name="atFirstFile"/>), or once every file has
    /// been compiled and analysed, on the models the driver handed each file's action.
    /// </summary>
    private static double BindingInDriverCpuMilliseconds(CSharpCompilation compilation, List<MemberPosition> members, bool atFirstFile)
    {
        var probe = new BindingProbe(members, atFirstFile);
        DriverExecution(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(probe));
        return probe.CpuMilliseconds;
    }

    // The probes below are handed to the driver in this process, never loaded by a compiler or shipped: no attribute for
    // one to find them by, no release tracking, and the binding probe asks for models as GradGuard does.
#pragma warning disable RS1001, RS1030, RS2008
    private sealed class BindingProbe : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("GGFLOOR", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Info, isEnabledByDefault: true);
        private readonly List<MemberPosition> members;
        private readonly bool atFirstFile;

        public BindingProbe(List<MemberPosition> members, bool atFirstFile)
        {
            this.members = members;
            this.atFirstFile = atFirstFile;
        }

        public double CpuMilliseconds { get; private set; }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Never);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var kept = new ConcurrentDictionary<SyntaxTree, SemanticModel>();
                start.RegisterSemanticModelAction(file =>
                {
                    kept.TryAdd(file.SemanticModel.SyntaxTree, file.SemanticModel);
                    if (atFirstFile && kept.Count == 1)
                    {
                        Bind(start.Compilation, tree => start.Compilation.GetSemanticModel(tree));
                    }
                });
                if (!atFirstFile)
                {
                    start.RegisterCompilationEndAction(end => Bind(end.Compilation, tree => kept[tree]));
                }
            });
        }

        private void Bind(Compilation compilation, Func<SyntaxTree, SemanticModel> modelOf)
        {
            var nodes = members.Select(member => member.In(compilation)).ToList();
            long start = CallbackClock.ThreadCpuNanoseconds();
            foreach (var node in nodes)
            {
                modelOf(node.SyntaxTree).GetOperation(node);
            }

            CpuMilliseconds = (CallbackClock.ThreadCpuNanoseconds() - start) / 1e6;
        }
    }

    /// <summary>Reports given diagnostics in each file's semantic-model action, as GG0001–GG0003 and GG0005 do, and nothing else.</summary>
    private sealed class Reporter : DiagnosticAnalyzer
    {
        private readonly ILookup<SyntaxTree, Diagnostic> byFile;
        private readonly CallbackClock clock = new();

        public Reporter(ImmutableArray<Diagnostic> diagnostics, ImmutableArray<DiagnosticDescriptor> descriptors)
        {
            byFile = diagnostics.ToLookup(diagnostic => diagnostic.Location.SourceTree!);
            SupportedDiagnostics = descriptors.Distinct().ToImmutableArray();
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

        public double CpuMilliseconds => clock.CpuMilliseconds;

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterSemanticModelAction(clock.Timed<SemanticModelAnalysisContext>(file =>
            {
                foreach (var diagnostic in byFile[file.SemanticModel.SyntaxTree])
                {
                    file.ReportDiagnostic(diagnostic);
                }
            }));
        }
    }
#pragma warning restore RS1001, RS1030, RS2008
}
