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

    /// <summary>
    /// The S3-compatible store when <c>Artifacts:S3:Bucket</c> is set (then <c>Artifacts:Path</c> is not used), else null: the
    /// folder store. Keys as in <see cref="S3Settings"/>.
    /// </summary>
    public static S3Settings? GetS3Settings(this IConfiguration configuration)
    {
        var section = configuration.GetSection("Artifacts:S3");
        return string.IsNullOrWhiteSpace(section["Bucket"]) ? null : section.Get<S3Settings>();
    }

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
