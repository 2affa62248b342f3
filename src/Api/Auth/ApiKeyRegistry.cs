using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Shears.Api.Auth;

/// <summary>
/// The configured API keys, held only as SHA-256 hashes: <c>Auth:ApiKeys:N:Tenant</c> with
/// <c>Auth:ApiKeys:N:Key</c> or <c>Auth:ApiKeys:N:Sha256</c>, and <c>Auth:AdminKey</c> (or <c>Auth:AdminSha256</c>).
/// </summary>
public sealed class ApiKeyRegistry
{
    /// <summary>The tenant of requests that need no key (no keys configured, loopback only).</summary>
    public const string AnonymousTenant = "anonymous";
    public const string AdminTenant = "admin";

    private readonly (byte[] Hash, string Tenant, bool IsAdmin)[] _keys;

    public ApiKeyRegistry(IConfiguration configuration)
    {
        var tenantKeys = configuration.GetSection("Auth:ApiKeys").GetChildren()
            .Select(entry => (Hash: HashOf(entry["Key"], entry["Sha256"], entry.Path), Tenant: entry["Tenant"]
                ?? throw new InvalidOperationException($"{entry.Path}:Tenant is missing."), IsAdmin: false));
        var adminHash = HashOf(configuration["Auth:AdminKey"], configuration["Auth:AdminSha256"], "Auth:AdminKey", optional: true);
        var adminKeys = adminHash is null ? [] : new[] { (Hash: adminHash, Tenant: AdminTenant, IsAdmin: true) };
        _keys = tenantKeys.Where(k => k.Hash is not null).Select(k => (k.Hash!, k.Tenant, k.IsAdmin)).Concat(adminKeys).ToArray();
    }

    /// <summary>No key configured at all: the service is open to anonymous use and binds to loopback only.</summary>
    public bool IsOpen => _keys.Length == 0;

    /// <summary>
    /// Finds the key's tenant. Every configured hash is compared in constant time, whether or not an earlier one
    /// matched, so the timing tells nothing about which keys exist.
    /// </summary>
    public (string Tenant, bool IsAdmin)? Find(string presentedKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        (string, bool)? found = null;
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                found = (key.Tenant, key.IsAdmin);
            }
        }
        return found;
    }

    private static byte[]? HashOf(string? key, string? sha256Hex, string path, bool optional = false)
    {
        if (!string.IsNullOrEmpty(key))
        {
            return SHA256.HashData(Encoding.UTF8.GetBytes(key));
        }
        if (!string.IsNullOrEmpty(sha256Hex))
        {
            return sha256Hex.Length == 64 && sha256Hex.All(char.IsAsciiHexDigit)
                ? Convert.FromHexString(sha256Hex)
                : throw new InvalidOperationException($"{path}: Sha256 must be 64 hex digits (the SHA-256 of the key).");
        }
        return optional ? null : throw new InvalidOperationException($"{path} needs Key or Sha256.");
    }
}
