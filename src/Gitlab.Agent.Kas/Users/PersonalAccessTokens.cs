using System.Security.Cryptography;
using System.Text;

namespace Gitlab.Agent.Kas.Users;

/// <summary>Personal access token secrets: generation and the hash that is stored instead of the secret.</summary>
internal static class PersonalAccessTokens
{
    public const string Prefix = "glpat-";
    public const int RandomLength = 20;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string NewSecret() => Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>Lowercase hex SHA-256 of the UTF-8 secret.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
