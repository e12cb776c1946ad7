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
        /// <summary><c>MethodImplOptions.AggressiveOptimization</c>, which netstandard2.0 does not name; runtimes that do not know it ignore it.</summary>
        public const MethodImplOptions Optimized = (MethodImplOptions)512;
    }
}
