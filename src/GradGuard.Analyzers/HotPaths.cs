using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers
{
    /// <summary>How GradGuard's hottest methods ask the runtime to compile them.</summary>
    /// <remarks>
    /// The runtime first compiles a method without optimisation and recompiles the ones called often, but only once the
    /// process has stopped compiling new methods for a while, which a compiler process busy with a build never does: in a
    /// fresh compiler, and in the first builds of a compiler server, GradGuard's interpreter would run unoptimised (with
    /// profiling instrumentation on top) over every unit of the compilation. The methods marked with
    /// <see cref="Optimized"/> run thousands of times in every build; they are compiled optimised on their first call.
    /// </remarks>
    internal static class HotPaths
    {
#if READY_TO_RUN_COPY
        /// <summary>
        /// Nothing, in the copy compiled ahead of time (GradGuard.Analyzers.ReadyToRun): its methods are optimised already,
        /// and the runtime never runs ReadyToRun code for a method marked AggressiveOptimization but compiles it again on
        /// its first call, which cost a compiler started for one build 26–42 ms of GradGuard's time.
        /// </summary>
        public const MethodImplOptions Optimized = 0;
#else
        /// <summary><c>MethodImplOptions.AggressiveOptimization</c>, which netstandard2.0 does not name; runtimes that do not know it ignore it.</summary>
        public const MethodImplOptions Optimized = (MethodImplOptions)512;
#endif
    }
}
