#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Hands the build a TorchSharp native library that loads on this host. Where the host's libstdc++ lacks
/// <see cref="VersionName"/>, that is a copy under <see cref="PatchedDirectory"/> whose need for the version is marked
/// weak (VER_FLG_WEAK in .gnu.version_r); everywhere else, the library itself. When a library cannot be made
/// loadable, the build gets one warning (GGB0001) naming the cause and the remedy, and the library as it is.
/// </summary>
public sealed class GradGuardTorchSharpNative : Task
{
    private const string WarningCode = "GGB0001";
    private const string LibStdCxx = "libstdc++.so.6";
    private const string OptOut = "set GradGuardSkipTorchSharpNativeCompat=true to build without this step";

    [Required]
    public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string VersionName { get; set; } = "";

    [Required]
    public string PatchedDirectory { get; set; } = "";

    /// <summary>One item per library, with its metadata: the loadable copy where one was needed, otherwise the library.</summary>
    [Output]
    public ITaskItem[] LoadableLibraries { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        LoadableLibraries = Libraries;
        string? hostLibStdCxx = LoadedLibStdCxx();
        if (hostLibStdCxx == null)
        {
            Warn($"this build cannot tell which {LibStdCxx} the host uses (none is mapped in the build process), so TorchSharp's native library was left as it is and may fail to load. Build on a host with /proc and the glibc-based .NET SDK, or {OptOut}.");
            return true;
        }

        var hostVersions = new HashSet<string>(ElfImage.DefinedVersions(File.ReadAllBytes(hostLibStdCxx)), StringComparer.Ordinal);
        if (hostVersions.Contains(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"GradGuard: {hostLibStdCxx} provides {VersionName}; TorchSharp's native library is used as it is.");
            return true;
        }

        LoadableLibraries = Libraries.Select(library => Loadable(library, hostLibStdCxx, hostVersions)).ToArray();
        return true;
    }

    private ITaskItem Loadable(ITaskItem library, string hostLibStdCxx, HashSet<string> hostVersions)
    {
        string source = library.GetMetadata("FullPath");
        byte[] image = File.ReadAllBytes(source);
        if (!ElfImage.IsElf64LittleEndian(image))
        {
            Warn($"{source} is not a 64-bit little-endian ELF library, so its need for {VersionName}, which {hostLibStdCxx} lacks, could not be marked weak and TorchSharp will fail to load. Restore the TorchSharp package afresh (dotnet nuget locals global-packages --clear), or {OptOut}.");
            return library;
        }

        var needs = ElfImage.VersionNeeds(image).Where(need => need.File == LibStdCxx).ToList();
        var otherMissing = needs.Select(need => need.Version).Where(version => version != VersionName && !hostVersions.Contains(version)).Distinct().ToList();
        if (otherMissing.Count > 0)
        {
            Warn($"{source} also needs {string.Join(", ", otherMissing)} from {LibStdCxx}, which {hostLibStdCxx} lacks and which, unlike {VersionName}, TorchSharp really uses, so it will fail to load on this host. Install the libstdc++ of GCC 13 or later (it provides every version TorchSharp needs), or {OptOut}.");
            return library;
        }

        var strongNeeds = needs.Where(need => need.Version == VersionName && !need.IsWeak).ToList();
        if (strongNeeds.Count == 0)
        {
            return library;
        }

        string patched = Path.Combine(PatchedDirectory, library.GetMetadata("DestinationSubDirectory"), Path.GetFileName(source));
        try
        {
            // The patch depends only on the library's bytes, so a copy written after the library last changed is current.
            if (!File.Exists(patched) || File.GetLastWriteTimeUtc(patched) < File.GetLastWriteTimeUtc(source))
            {
                foreach (var need in strongNeeds)
                {
                    ElfImage.MarkWeak(image, need.FlagsOffset);
                }

                WriteAtomically(patched, image);
                Log.LogMessage(MessageImportance.Normal, $"GradGuard: {patched} is {source} with its need for {VersionName} marked weak ({hostLibStdCxx} lacks that version).");
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Warn($"the copy of {source} with its need for {VersionName} marked weak could not be written to {patched} ({error.Message}), and {hostLibStdCxx} lacks that version, so TorchSharp will fail to load. Make {PatchedDirectory} writable, or {OptOut}.");
            return library;
        }

        return new TaskItem(patched, library.CloneCustomMetadata());
    }

    /// <summary>Writes beside and renames, so an interrupted build never leaves half a library for the next one to copy.</summary>
    private static void WriteAtomically(string path, byte[] contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, contents);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        File.Move(temporary, path);
    }

    private void Warn(string cause) =>
        Log.LogWarning(null, WarningCode, null, null, 0, 0, 0, 0, $"GradGuard.TorchSharp: {cause}");

    /// <summary>
    /// The .NET runtime on Linux links libstdc++, so the one this very process loaded is the one the loader will hand
    /// TorchSharp when the application runs on this host.
    /// </summary>
    private static string? LoadedLibStdCxx()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/') is var pathStart and >= 0 ? line.Substring(pathStart).Trim() : "")
                .FirstOrDefault(path => Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The few parts of a 64-bit little-endian ELF image that symbol versioning needs.</summary>
    private static class ElfImage
    {
        private const uint SectionTypeVersionDefinitions = 0x6ffffffd;
        private const uint SectionTypeVersionNeeds = 0x6ffffffe;
        private const ushort VersionFlagWeak = 0x2;

        public static bool IsElf64LittleEndian(byte[] image) =>
            BitConverter.IsLittleEndian && image.Length > 64 &&
            image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F' &&
            image[4] == 2 && image[5] == 1;

        /// <summary>The version names a library defines (.gnu.version_d), such as libstdc++'s GLIBCXX_3.4.30.</summary>
        public static IEnumerable<string> DefinedVersions(byte[] image)
        {
            if (!IsElf64LittleEndian(image))
            {
                yield break;
            }

            foreach (int section in Sections(image, SectionTypeVersionDefinitions))
            {
                int strings = LinkedStringTable(image, section);
                for (int entry = (int)U64(image, section + 24); ; entry += (int)U32(image, entry + 16))
                {
                    int aux = entry + (int)U32(image, entry + 12);
                    yield return NameAt(image, strings + (int)U32(image, aux));
                    if (U32(image, entry + 16) == 0)
                    {
                        break;
                    }
                }
            }
        }

        /// <summary>Each version a library needs from another (the entries of .gnu.version_r), and where its flags are.</summary>
        public static IEnumerable<(string File, string Version, int FlagsOffset, bool IsWeak)> VersionNeeds(byte[] image)
        {
            foreach (int section in Sections(image, SectionTypeVersionNeeds))
            {
                int strings = LinkedStringTable(image, section);
                for (int need = (int)U64(image, section + 24); ; need += (int)U32(image, need + 12))
                {
                    string file = NameAt(image, strings + (int)U32(image, need + 4));
                    int aux = need + (int)U32(image, need + 8);
                    for (int count = U16(image, need + 2); count > 0; count--, aux += (int)U32(image, aux + 12))
                    {
                        yield return (file, NameAt(image, strings + (int)U32(image, aux + 8)), aux + 4, (U16(image, aux + 4) & VersionFlagWeak) != 0);
                    }

                    if (U32(image, need + 12) == 0)
                    {
                        break;
                    }
                }
            }
        }

        public static void MarkWeak(byte[] image, int flagsOffset)
        {
            ushort flags = (ushort)(U16(image, flagsOffset) | VersionFlagWeak);
            image[flagsOffset] = (byte)flags;
            image[flagsOffset + 1] = (byte)(flags >> 8);
        }

        private static IEnumerable<int> Sections(byte[] image, uint type)
        {
            int table = (int)U64(image, 0x28);
            int entrySize = U16(image, 0x3a);
            for (int index = 0, count = U16(image, 0x3c); index < count; index++)
            {
                int section = table + index * entrySize;
                if (U32(image, section + 4) == type)
                {
                    yield return section;
                }
            }
        }

        private static int LinkedStringTable(byte[] image, int section)
        {
            int linked = (int)U64(image, 0x28) + (int)U32(image, section + 40) * U16(image, 0x3a);
            return (int)U64(image, linked + 24);
        }

        private static string NameAt(byte[] image, int offset) =>
            Encoding.ASCII.GetString(image, offset, Array.IndexOf(image, (byte)0, offset) - offset);

        private static ushort U16(byte[] image, int offset) => BitConverter.ToUInt16(image, offset);

        private static uint U32(byte[] image, int offset) => BitConverter.ToUInt32(image, offset);

        private static ulong U64(byte[] image, int offset) => BitConverter.ToUInt64(image, offset);
    }
}
