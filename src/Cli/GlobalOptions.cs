using System.CommandLine;

namespace Shears.Cli;

/// <summary>Options every command takes: where the service is, the key, and whether to answer in JSON.</summary>
public sealed class GlobalOptions
{
    public const string DefaultUrl = "http://localhost:5000";

    public Option<string> Url { get; } = new("--url")
    {
        Description = $"Base URL of the Shears service (env SHEARS_URL; default {DefaultUrl}).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SHEARS_URL") is { Length: > 0 } url ? url : DefaultUrl,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "API key sent as X-Api-Key (env SHEARS_API_KEY).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SHEARS_API_KEY") is { Length: > 0 } key ? key : null,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write the service's JSON answers to standard output instead of text.",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Url);
        root.Options.Add(ApiKey);
        root.Options.Add(Json);
    }
}
