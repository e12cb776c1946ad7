using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace GradGuard.Benchmarks.CallbackTiming
{
    /// <summary>
    /// The CPU time the wrapped callbacks spend on their own threads, summed over threads. A thread stopped for a
    /// garbage collection or waiting for a core does not count, unlike the wall time <c>ReportAnalyzer</c> reports.
    /// </summary>
    internal sealed class CallbackClock
    {
        // Linux's clockid_t for the calling thread's CPU time.
        private const int ThreadCpuTimeClock = 3;

        // System.Runtime.JitInfo is .NET's, not netstandard2.0's: the compiler runs on .NET, this assembly targets what
        // analyzers must.
        private static readonly Func<bool, TimeSpan> JitTime = (Func<bool, TimeSpan>)Type.GetType("System.Runtime.JitInfo", throwOnError: true)!
            .GetMethod("GetCompilationTime")!
            .CreateDelegate(typeof(Func<bool, TimeSpan>));

        private long cpuNanoseconds;
        private long jitTicks;

        public double CpuMilliseconds => Interlocked.Read(ref cpuNanoseconds) / 1e6;

        /// <summary>Of that, the time the JIT compiler spent compiling what the callbacks ran for the first time.</summary>
        public double JitMilliseconds => TimeSpan.FromTicks(Interlocked.Read(ref jitTicks)).TotalMilliseconds;

        public Action<T> Timed<T>(Action<T> callback) => argument =>
        {
            long cpuStart = ThreadCpuNanoseconds();
            var jitStart = JitTime(true);
            try
            {
                callback(argument);
            }
            finally
            {
                Interlocked.Add(ref jitTicks, (JitTime(true) - jitStart).Ticks);
                Interlocked.Add(ref cpuNanoseconds, ThreadCpuNanoseconds() - cpuStart);
            }
        };

        /// <summary>The calling thread's CPU time since it started.</summary>
        internal static long ThreadCpuNanoseconds() =>
            ClockGetTime(ThreadCpuTimeClock, out var time) == 0
                ? time.Seconds * 1_000_000_000 + time.Nanoseconds
                : throw new PlatformNotSupportedException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: the callback timing runs on Linux only.");

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }
}
