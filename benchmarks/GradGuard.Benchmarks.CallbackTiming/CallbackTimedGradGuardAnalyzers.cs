using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// Stands in for GradGuard.Analyzers in a real build: runs every analyzer of GradGuard.Analyzers unchanged, through
    /// contexts that time each of their callbacks in CPU time on the callback's thread, and at the end of the
    /// compilation writes that total beside the compiler process's own CPU time to the file named by the MSBuild
    /// property <see cref="ResultFileProperty"/>, both since the process started. Both come from the same build, so
    /// their ratio is free of the scatter between builds that a with/without comparison has to average away. It covers GradGuard's own code and the compiler work it asks for (binding,
    /// JIT-compiling its methods on first call); it leaves out the driver's bookkeeping around the callbacks and
    /// garbage collections, which run on the collector's threads.
    /// </summary>
    /// <remarks>
    /// In a compiler server, builds one at a time, as the benchmark runs them: the difference between two builds'
    /// totals is then what the second one took.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CallbackTimedGradGuardAnalyzers : DiagnosticAnalyzer
    {
        public const string ResultFileProperty = "GradGuardCallbackTimingFile";

        /// <summary>
        /// The environment variable that names a GradGuard.Analyzers.dll to time in place of the embedded one: the
        /// package's precompiled copy, whose ReadyToRun code the runtime uses only for an assembly loaded from its file.
        /// A compiler server reads it from the environment of the build that started it.
        /// </summary>
        public const string AnalyzersFileVariable = "GRADGUARD_CALLBACK_TIMING_ANALYZERS";

        // Loaded once a process: a compiler server creates analyzers anew for each build, and a fresh copy of the
        // assembly would be JIT-compiled afresh each time.
        private static readonly Lazy<Type[]> GradGuardAnalyzerTypes = new(LoadGradGuardAnalyzerTypes);

        // One clock per analyzer a process, whether the server creates analyzers anew for each build or keeps them.
        private static readonly Lazy<CallbackClock[]> Clocks = new(() => GradGuardAnalyzerTypes.Value.Select(_ => new CallbackClock()).ToArray());

        private readonly DiagnosticAnalyzer[] gradGuard = GradGuardAnalyzerTypes.Value.Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!).ToArray();

        public CallbackTimedGradGuardAnalyzers() => SupportedDiagnostics = gradGuard.SelectMany(analyzer => analyzer.SupportedDiagnostics).ToImmutableArray();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

        public override void Initialize(AnalysisContext context)
        {
            // GradGuard's analyzers register first: the driver runs an analyzer's actions of one kind in the order they
            // were registered, so the figures are written after GradGuard's own compilation-end actions (GG0007's) ran.
            var generatedCode = new GeneratedCodeSetting();
            for (int index = 0; index < gradGuard.Length; index++)
            {
                gradGuard[index].Initialize(new TimedAnalysisContext(context, Clocks.Value[index], generatedCode));
            }

            context.RegisterCompilationStartAction(start =>
            {
                if (BindingFloor.IsAskedFor(start.Options))
                {
                    BindingFloor.Register(start);
                }

                if (!start.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue($"build_property.{ResultFileProperty}", out var resultFile)
                    || resultFile.Length == 0)
                {
                    return;
                }

                // Totals since the process started: a compiler server runs one build after the other, and what one
                // build took is the difference from the previous build's totals.
                start.RegisterCompilationEndAction(_ => File.WriteAllText(resultFile, Results()));
            });
        }

        /// <summary>
        /// The totals of every analyzer's callbacks, each analyzer's own (<c>gradguard_callbacks_cpu_ms.GradientFlowAnalyzer</c>),
        /// and the compiler process's CPU time and id.
        /// </summary>
        private static string Results()
        {
            var clocks = Clocks.Value;
            var lines = new List<string>
            {
                Figure("gradguard_callbacks_cpu_ms", clocks.Sum(clock => clock.CpuMilliseconds)),
                Figure("gradguard_callbacks_jit_ms", clocks.Sum(clock => clock.JitMilliseconds)),
            };
            for (int index = 0; index < clocks.Length; index++)
            {
                lines.Add(Figure($"gradguard_callbacks_cpu_ms.{GradGuardAnalyzerTypes.Value[index].Name}", clocks[index].CpuMilliseconds));
            }

            // An assembly loaded from bytes has no location: 1 says the file named by AnalyzersFileVariable was timed.
            lines.Add(Figure("gradguard_analyzers_from_file", GradGuardAnalyzerTypes.Value[0].Assembly.Location.Length > 0 ? 1 : 0));
            lines.Add(Figure("binding_floor_cpu_ms", BindingFloor.CpuMilliseconds));
            lines.Add(Figure("binding_floor_members", BindingFloor.Members));
            var compiler = Process.GetCurrentProcess();
            lines.Add(Figure("compiler_process_cpu_ms", compiler.TotalProcessorTime.TotalMilliseconds));
            lines.Add(Figure("compiler_process_id", compiler.Id));
            return string.Join("\n", lines) + "\n";
        }

        private static string Figure(string name, double value) => string.Format(CultureInfo.InvariantCulture, "{0}={1:0.#}", name, value);

        /// <summary>The figures a build wrote to <paramref name="resultFile"/>, by name.</summary>
        public static IReadOnlyDictionary<string, double> ReadResults(string resultFile) =>
            File.ReadAllLines(resultFile)
                .Select(line => line.Split('='))
                .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));

        /// <summary>Every analyzer of GradGuard.Analyzers, found as the compiler finds them: by their attribute.</summary>
        private static Type[] LoadGradGuardAnalyzerTypes()
        {
            var types = LoadGradGuardAnalyzers().GetTypes()
                .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type) && type.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), inherit: false).Length > 0)
                .OrderBy(type => type.FullName, StringComparer.Ordinal)
                .ToArray();
            return types.Length > 0 ? types : throw new InvalidOperationException("GradGuard.Analyzers.dll holds no analyzer.");
        }

        private static Assembly LoadGradGuardAnalyzers()
        {
            if (Environment.GetEnvironmentVariable(AnalyzersFileVariable) is { Length: > 0 } file)
            {
                return Assembly.LoadFrom(file);
            }

            using var embedded = typeof(CallbackTimedGradGuardAnalyzers).Assembly.GetManifestResourceStream("GradGuard.Analyzers.dll")
                ?? throw new InvalidOperationException("GradGuard.Analyzers.dll is not embedded in the callback timing harness.");
            using var copy = new MemoryStream();
            embedded.CopyTo(copy);
            return Assembly.Load(copy.ToArray());
        }
    }
}
