using System.Runtime.InteropServices;

namespace GradGuard.Benchmarks.Analyzers;

/// <summary>
/// The CPU time of this process's children that have ended, from <c>getrusage(RUSAGE_CHILDREN)</c> (Linux): what a
/// compiler started as a child took, which its <see cref="System.Diagnostics.Process"/> can no longer say once it ended.
/// </summary>
internal static class ChildProcessesCpu
{
    private const int Children = -1;

    public static double Milliseconds() =>
        GetResourceUsage(Children, out var usage) == 0
            ? (usage.UserSeconds + usage.SystemSeconds) * 1000.0 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1000.0
            : throw new PlatformNotSupportedException("getrusage(RUSAGE_CHILDREN) failed: the compiler's CPU time is read on Linux only.");

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, out ResourceUsage usage);

    /// <summary><c>struct rusage</c>: two <c>timeval</c>s, then fourteen counters this class does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Counters;
    }
}
