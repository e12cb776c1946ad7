using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using GradGuard.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// Stands in for GradGuard.Analyzers in a real build: runs <see cref="GradientFlowAnalyzer"/> unchanged, through
    /// contexts that time each of its callbacks in CPU time on the callback's thread, and at the end of the
    /// compilation writes that total beside the compiler process's own CPU time to the file named by the MSBuild
    /// property <see cref="ResultFileProperty"/>. Both figures come from one build, so their ratio is free of the
    /// scatter between builds that a with/without comparison has to average away. It covers GradGuard's own code and
    /// the compiler work it asks for (binding, JIT-compiling its methods on first call); it leaves out the driver's
    /// bookkeeping around the callbacks and garbage collections, which run on the collector's threads.
    /// </summary>
    /// <remarks>
    /// One compilation a process: the benchmark builds with the compiler server off. GradGuard.Analyzers.dll sits
    /// beside this assembly and is not an analyzer reference of its own, or the compiler would run it a second time.
    /// </remarks>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CallbackTimedGradientFlowAnalyzer : DiagnosticAnalyzer
    {
        public const string ResultFileProperty = "GradGuardCallbackTimingFile";

        private readonly DiagnosticAnalyzer gradGuard;

        public CallbackTimedGradientFlowAnalyzer()
        {
            AppDomain.CurrentDomain.AssemblyResolve += LoadGradGuardFromBesideThisAssembly;
            gradGuard = CreateGradGuard();
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => gradGuard.SupportedDiagnostics;

        public override void Initialize(AnalysisContext context)
        {
            var clock = new CallbackClock();
            gradGuard.Initialize(new TimedAnalysisContext(context, clock));
            context.RegisterCompilationStartAction(start =>
            {
                if (start.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue($"build_property.{ResultFileProperty}", out var resultFile)
                    && resultFile.Length > 0)
                {
                    start.RegisterCompilationEndAction(_ => File.WriteAllText(resultFile, string.Format(
                        CultureInfo.InvariantCulture,
                        "gradguard_callbacks_cpu_ms={0:F1}\ngradguard_callbacks_jit_ms={1:F1}\ncompiler_cpu_ms={2:F0}\n",
                        clock.CpuMilliseconds,
                        clock.JitMilliseconds,
                        Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds)));
                }
            });
        }

        // Not inlined, so that GradientFlowAnalyzer's assembly is looked for only once the resolver is in place.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static DiagnosticAnalyzer CreateGradGuard() => new GradientFlowAnalyzer();

        private static Assembly? LoadGradGuardFromBesideThisAssembly(object sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            var path = Path.Combine(Path.GetDirectoryName(typeof(CallbackTimedGradientFlowAnalyzer).Assembly.Location)!, $"{name}.dll");
            return name == "GradGuard.Analyzers" && File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
