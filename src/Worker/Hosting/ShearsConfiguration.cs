using Microsoft.Extensions.Configuration;
using Shears.Domain.Persistence;

namespace Shears.Worker.Hosting;

/// <summary>The service's settings as read from configuration (appsettings, environment, command line).</summary>
public static class ShearsConfiguration
{
    /// <summary><c>ConnectionStrings:Postgres</c> selects distributed mode; otherwise <c>Database:SqlitePath</c> [data/shears.db].</summary>
    public static DatabaseSettings GetDatabaseSettings(this IConfiguration configuration)
        => new(configuration.GetConnectionString("Postgres"), configuration["Database:SqlitePath"] ?? Path.Combine("data", "shears.db"));

    /// <summary><c>Artifacts:Path</c> [data/artifacts]: the folder (or shared volume) of the artifact store.</summary>
    public static string GetArtifactsPath(this IConfiguration configuration)
        => configuration["Artifacts:Path"] ?? Path.Combine("data", "artifacts");

    /// <summary><c>Worker:Queues</c>, comma separated or as an array [the given defaults].</summary>
    public static string[] GetWorkerQueues(this IConfiguration configuration, params string[] defaults)
    {
        var section = configuration.GetSection("Worker:Queues");
        var queues = section.Value is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(child => child.Value!).Where(v => !string.IsNullOrWhiteSpace(v)).ToArray();
        return queues.Length > 0 ? queues : defaults;
    }
}
