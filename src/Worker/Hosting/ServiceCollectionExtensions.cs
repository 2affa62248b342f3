using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Shears.Domain.Persistence;
using Shears.Worker.Engine;
using Shears.Worker.Jobs;
using Shears.Worker.Telemetry;

namespace Shears.Worker.Hosting;

/// <summary>Registrations shared by the Api (which may run jobs in-process) and the Worker process.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Database (SQLite or PostgreSQL by configuration, meeting outages as <paramref name="outages"/> says), artifact store and the job event log.</summary>
    public static IServiceCollection AddShearsPersistence(this IServiceCollection services, IConfiguration configuration, DatabaseOutagePolicy outages)
    {
        var database = configuration.GetDatabaseSettings().For(outages);
        services.AddSingleton(database);
        services.AddDbContextFactory<ShearsDbContext>(options => options.UseShearsDatabase(database, outages));
        IBlobHolds holds = database.IsPostgres ? new PostgresBlobHolds(database.PostgresConnectionString!) : new InProcessBlobHolds();
        services.AddSingleton<IArtifactStore>(configuration.GetS3Settings() is { } s3
            ? new S3ArtifactStore(s3, holds)
            : new LocalArtifactStore(configuration.GetArtifactsPath(), holds));
        services.AddHostedService<ArtifactStoreStartupCheck>();
        services.AddSingleton<JobEventSignal>();
        services.AddSingleton<JobEventLog>();
        return services;
    }

    /// <summary>Hangfire's client side: the dispatcher that enqueues job ids.</summary>
    public static IServiceCollection AddShearsJobDispatch(this IServiceCollection services, Action<IGlobalConfiguration> storage)
    {
        services.AddHangfire(configuration =>
        {
            configuration.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            storage(configuration);
        });
        // Hangfire's own filters (GlobalJobFilters, the retry attributes) and the trace context's, for this host only.
        services.AddSingleton<IJobFilterProvider>(new JobFilterProviderCollection(JobFilterProviders.Providers,
            new JobFilterCollection { new TraceContextJobFilter() }));
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<LiveWorkers>();
        return services;
    }

    /// <summary>
    /// A Hangfire server that runs pruning jobs from <paramref name="queues"/>, one at a time: libtorch's
    /// threads are process-wide, so more parallelism means more worker processes.
    /// </summary>
    public static IServiceCollection AddShearsJobServer(this IServiceCollection services, string[] queues)
    {
        services.AddSingleton(provider => provider.GetRequiredService<IConfiguration>().GetSection("Engine").Get<EngineSettings>() ?? new EngineSettings());
        services.AddScoped<IPruneJob, PruneJobRunner>();
        services.AddHangfireServer(options =>
        {
            options.WorkerCount = 1;
            options.Queues = JobQueues.ServableHere(queues);
            options.ServerName = $"shears-{Environment.MachineName}-{Environment.ProcessId}";
        });
        return services;
    }

    /// <summary>Hangfire on PostgreSQL; the sliding invisibility timeout keeps hours-long jobs owned by their live worker.</summary>
    public static IGlobalConfiguration UseShearsPostgresStorage(this IGlobalConfiguration configuration, string connectionString)
        => configuration.UsePostgreSqlStorage(
            options => options.UseNpgsqlConnection(connectionString),
            new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = TimeSpan.FromMinutes(5),
                // An idle worker looks for work every second (the default 15 s would be most of a small job's wait).
                QueuePollInterval = TimeSpan.FromSeconds(1),
                PrepareSchemaIfNecessary = true,
            });
}
