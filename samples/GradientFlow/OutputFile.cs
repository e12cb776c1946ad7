namespace GradientFlow;

/// <summary>
/// A file the run will write when training is done: checked before any training starts, so a bad path costs the user
/// a second rather than a run, and written whole or not at all, so an interrupted run never leaves half a file.
/// </summary>
public static class OutputFile
{
    /// <summary>
    /// Returns <paramref name="path"/> if a file can be written there, or throws <see cref="FormatException"/> with one
    /// line naming <paramref name="option"/>, the path and what is wrong with it.
    /// </summary>
    public static string Checked(string option, string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (ArgumentException)
        {
            throw new FormatException($"{option} needs a file path; got '{path}'.");
        }

        string folder = Path.GetDirectoryName(full) ?? full;
        string? problem = Directory.Exists(full) ? "it is a directory"
            : !Directory.Exists(folder) ? $"its folder {folder} does not exist"
            : CannotCreateFileIn(folder);
        return problem is null ? path : throw new FormatException($"{option} {path}: {problem}.");
    }

    /// <summary>Writes <paramref name="contents"/> to a temporary file beside <paramref name="path"/>, then renames it over <paramref name="path"/>.</summary>
    public static void WriteAtomically(string path, string contents)
    {
        string temporary = TemporaryBeside(Path.GetFullPath(path));
        try
        {
            File.WriteAllText(temporary, contents);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Tries what <see cref="WriteAtomically"/> will do in <paramref name="folder"/>: create a file there.</summary>
    private static string? CannotCreateFileIn(string folder)
    {
        try
        {
            using (File.Create(TemporaryBeside(Path.Combine(folder, "probe")), 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return $"no file can be created in {folder} ({error.Message.TrimEnd('.')})";
        }
    }

    private static string TemporaryBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
}
