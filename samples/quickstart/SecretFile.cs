namespace Quickstart;

/// <summary>Writes secrets readable by the current user only.</summary>
public static class SecretFile
{
    public static async Task WriteAsync(string path, string secret, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, secret + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
