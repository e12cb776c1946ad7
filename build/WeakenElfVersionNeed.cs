#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version requirement of ELF shared libraries weak (VER_FLG_WEAK in .gnu.version_r),
/// but only when the host's libstdc++ does not define that version. Idempotent: a library already marked
/// weak, or one that does not need the version, is left byte-for-byte as it is.
/// </summary>
public sealed class WeakenElfVersionNeed : Task
{
    private const uint SectionTypeVersionDefinitions = 0x6ffffffd;
    private const uint SectionTypeVersionNeeds = 0x6ffffffe;
    private const ushort VersionFlagWeak = 0x2;

    [Required]
    public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        string? hostLibStdCxx = FindHostLibStdCxx();
        if (hostLibStdCxx == null)
        {
            Log.LogMessage(MessageImportance.Low, "GradGuard: no host libstdc++ found; TorchSharp natives left as they are.");
            return true;
        }

        if (DefinesVersion(File.ReadAllBytes(hostLibStdCxx), VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"GradGuard: {hostLibStdCxx} provides {VersionName}; TorchSharp natives left as they are.");
            return true;
        }

        foreach (ITaskItem library in Libraries)
        {
            string path = library.ItemSpec;
            if (!File.Exists(path))
            {
                continue;
            }

            byte[] image = File.ReadAllBytes(path);
            if (!TryMarkNeedWeak(image, VersionName, out bool changed))
            {
                Log.LogWarning($"GradGuard: {path} is not a 64-bit little-endian ELF library; it was not patched, and TorchSharp may fail to load on this host.");
                continue;
            }

            if (!changed)
            {
                continue;
            }

            // Write beside and rename, so a hard link into the NuGet cache is replaced rather than edited.
            string temporary = path + ".gradguard-tmp";
            File.WriteAllBytes(temporary, image);
            File.Delete(path);
            File.Move(temporary, path);
            Log.LogMessage(MessageImportance.Normal, $"GradGuard: marked {VersionName} weak in {path} (host libstdc++ {hostLibStdCxx} lacks it).");
        }

        return true;
    }

    /// <summary>The libstdc++ this very process loaded is the one the loader will hand TorchSharp.</summary>
    private static string? FindHostLibStdCxx()
    {
        try
        {
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                int pathStart = line.IndexOf('/');
                if (pathStart >= 0 && Path.GetFileName(line.Substring(pathStart)).StartsWith("libstdc++.so", StringComparison.Ordinal))
                {
                    return line.Substring(pathStart).Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        string[] directories = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" };
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, "libstdc++.so.6");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool DefinesVersion(byte[] image, string versionName)
    {
        if (!IsElf64LittleEndian(image))
        {
            return false;
        }

        foreach (int section in Sections(image))
        {
            if (U32(image, section + 4) != SectionTypeVersionDefinitions)
            {
                continue;
            }

            int strings = LinkedStringTable(image, section);
            int entry = (int)U64(image, section + 24);
            while (true)
            {
                int aux = entry + (int)U32(image, entry + 12);
                if (NameAt(image, strings + (int)U32(image, aux)) == versionName)
                {
                    return true;
                }

                uint next = U32(image, entry + 16);
                if (next == 0)
                {
                    break;
                }

                entry += (int)next;
            }
        }

        return false;
    }

    private static bool TryMarkNeedWeak(byte[] image, string versionName, out bool changed)
    {
        changed = false;
        if (!IsElf64LittleEndian(image))
        {
            return false;
        }

        foreach (int section in Sections(image))
        {
            if (U32(image, section + 4) != SectionTypeVersionNeeds)
            {
                continue;
            }

            int strings = LinkedStringTable(image, section);
            int need = (int)U64(image, section + 24);
            while (true)
            {
                int aux = need + (int)U32(image, need + 8);
                for (int count = U16(image, need + 2); count > 0; count--)
                {
                    if (NameAt(image, strings + (int)U32(image, aux + 8)) == versionName)
                    {
                        ushort flags = U16(image, aux + 4);
                        if ((flags & VersionFlagWeak) == 0)
                        {
                            WriteU16(image, aux + 4, (ushort)(flags | VersionFlagWeak));
                            changed = true;
                        }
                    }

                    aux += (int)U32(image, aux + 12);
                }

                uint next = U32(image, need + 12);
                if (next == 0)
                {
                    break;
                }

                need += (int)next;
            }
        }

        return true;
    }

    private static bool IsElf64LittleEndian(byte[] image) =>
        BitConverter.IsLittleEndian && image.Length > 64 &&
        image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F' &&
        image[4] == 2 && image[5] == 1;

    private static System.Collections.Generic.IEnumerable<int> Sections(byte[] image)
    {
        int table = (int)U64(image, 0x28);
        int entrySize = U16(image, 0x3a);
        int count = U16(image, 0x3c);
        for (int index = 0; index < count; index++)
        {
            yield return table + index * entrySize;
        }
    }

    private static int LinkedStringTable(byte[] image, int section)
    {
        int table = (int)U64(image, 0x28);
        int entrySize = U16(image, 0x3a);
        int linked = table + (int)U32(image, section + 40) * entrySize;
        return (int)U64(image, linked + 24);
    }

    private static string NameAt(byte[] image, int offset)
    {
        int end = Array.IndexOf(image, (byte)0, offset);
        return Encoding.ASCII.GetString(image, offset, end - offset);
    }

    private static ushort U16(byte[] image, int offset) => BitConverter.ToUInt16(image, offset);

    private static uint U32(byte[] image, int offset) => BitConverter.ToUInt32(image, offset);

    private static ulong U64(byte[] image, int offset) => BitConverter.ToUInt64(image, offset);

    private static void WriteU16(byte[] image, int offset, ushort value)
    {
        image[offset] = (byte)value;
        image[offset + 1] = (byte)(value >> 8);
    }
}
