namespace Shears.Domain.Persistence;

/// <summary>The name of stored content: its SHA-256 as 64 lower-case hex digits, never anything a user sent.</summary>
public static class ContentAddress
{
    /// <summary>Returns <paramref name="sha256"/> when it is a lower-case SHA-256 hex digest; throws otherwise.</summary>
    public static string Check(string sha256) => sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower)
        ? sha256
        : throw new ArgumentException("Not a SHA-256 hex digest.", nameof(sha256));
}
