using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradGuard.Analyzers.Robustness.Tests;

/// <summary>
/// Runs every GradGuard analyzer, and every code fix it offers, in-process over one input, and reports what went
/// wrong: an analyzer exception (what an IDE shows as AD0001), a run that outlasts its bound, a diagnostic that
/// points outside its source, or a code fix that throws.
/// </summary>
internal static class AnalyzerHarness
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly Assembly AnalyzerAssembly = Assembly.Load(new AssemblyName("GradGuard.Analyzers"));

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = Instances<DiagnosticAnalyzer>(AnalyzerAssembly);

    private static readonly ImmutableArray<CodeFixProvider> CodeFixes =
        Instances<CodeFixProvider>(Assembly.Load(new AssemblyName("GradGuard.Analyzers.CodeFixes")));

    private static readonly ImmutableArray<MetadataReference> References = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
        .Append(typeof(TorchSharp.torch).Assembly.Location)
        .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
        .ToImmutableArray();

    private static readonly CSharpCompilationOptions LibraryOptions = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    public static int AnalyzerCount => Analyzers.Length;

    /// <summary>Analyzes the sources as one compilation (and computes each offered fix when <paramref name="applyFixes"/>).</summary>
    public static async Task<HarnessRun> CheckAsync(string name, IReadOnlyList<string> sources, bool applyFixes)
    {
        var problems = new List<string>();
        int fixes = 0;
        var trees = sources.Select((source, index) => CSharpSyntaxTree.ParseText(source, path: $"{name}.{index}.cs")).ToList();
        bool topLevel = trees.Any(tree => tree.GetRoot().ChildNodes().Any(node => node is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax));
        var compilation = CSharpCompilation.Create(name, trees, References, topLevel ? LibraryOptions.WithOutputKind(OutputKind.ConsoleApplication) : LibraryOptions);

        using var timeout = new CancellationTokenSource(Bound);
        var withAnalyzers = compilation.WithAnalyzers(Analyzers, new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, analyzer, _) => problems.Add($"{name}: {analyzer.GetType().Name} threw {exception.GetType().Name}: {exception.Message}"),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false));

        ImmutableArray<Diagnostic> diagnostics;
        try
        {
            diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            problems.Add($"{name}: the analyzers ran longer than {Bound.TotalSeconds} s");
            return new HarnessRun(problems, 0, 0, []);
        }

        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Id == "AD0001")
            {
                problems.Add($"{name}: {diagnostic.GetMessage()}");
            }

            foreach (var location in diagnostic.AdditionalLocations.Prepend(diagnostic.Location))
            {
                if (!location.IsInSource || !trees.Contains(location.SourceTree!) || location.SourceSpan.End > location.SourceTree!.Length)
                {
                    problems.Add($"{name}: {diagnostic.Id} points outside its source: {location}");
                }
            }
        }

        var ours = diagnostics.Where(diagnostic => diagnostic.Id.StartsWith("GG", StringComparison.Ordinal)).ToList();
        if (applyFixes)
        {
            foreach (var diagnostic in ours)
            {
                fixes += await ApplyFixesAsync(name, trees, diagnostic, problems, timeout.Token);
            }
        }

        return new HarnessRun(problems, ours.Count, fixes, ours.Select(diagnostic => diagnostic.Id).Distinct().Order().ToList());
    }

    /// <returns>How many code actions were computed.</returns>
    private static async Task<int> ApplyFixesAsync(string name, IReadOnlyList<SyntaxTree> trees, Diagnostic diagnostic, List<string> problems, CancellationToken cancellation)
    {
        int computed = 0;
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, name, name, LanguageNames.CSharp,
            compilationOptions: LibraryOptions, metadataReferences: References));
        Document? document = null;
        foreach (var tree in trees)
        {
            var added = workspace.AddDocument(project.Id, tree.FilePath, SourceText.From(tree.ToString()));
            document = tree == diagnostic.Location.SourceTree ? added : document;
        }

        if (document is null)
        {
            return 0;
        }

        foreach (var fix in CodeFixes.Where(fix => fix.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            var actions = new List<CodeAction>();
            try
            {
                await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellation));
                foreach (var action in actions)
                {
                    foreach (var change in (await action.GetOperationsAsync(cancellation)).OfType<ApplyChangesOperation>())
                    {
                        foreach (var changed in change.ChangedSolution.GetChanges(workspace.CurrentSolution).GetProjectChanges().SelectMany(project => project.GetChangedDocuments()))
                        {
                            await change.ChangedSolution.GetDocument(changed)!.GetTextAsync(cancellation);
                        }
                    }

                    computed++;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                problems.Add($"{name}: {fix.GetType().Name} threw {exception.GetType().Name} on {diagnostic.Id}: {exception.Message}");
            }
        }

        return computed;
    }

    private static ImmutableArray<T> Instances<T>(Assembly assembly) => assembly.GetTypes()
        .Where(type => typeof(T).IsAssignableFrom(type) && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null)
        .Select(type => (T)Activator.CreateInstance(type)!)
        .ToImmutableArray();
}

/// <summary>What one harness run found: problems (empty when all is well), GradGuard diagnostics reported, code actions computed, and the rules reported.</summary>
internal sealed record HarnessRun(IReadOnlyList<string> Problems, int Diagnostics, int FixesComputed, IReadOnlyList<string> RuleIds);
