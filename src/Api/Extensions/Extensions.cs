using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using Polly;
using Polly.Retry;
using Shears.Api.Apis;
using Shears.Api.Auth;
using Shears.Api.Contracts;
using Shears.Api.Events;
using Shears.Api.Uploads;
using Shears.Domain.Persistence;
using Shears.Worker.Hosting;
using Shears.Worker.Jobs;
using Shears.Api.Swagger;

namespace Shears.Api.Extensions;

public static class Extensions
{
    /// <summary>
    /// Everything the Api needs. Embedded mode (no <c>ConnectionStrings:Postgres</c>): SQLite, Hangfire in memory and
    /// an in-process worker. Distributed mode: PostgreSQL, Hangfire on PostgreSQL, LISTEN/NOTIFY; workers run elsewhere.
    /// </summary>
    public static void AddShearsApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var database = configuration.GetDatabaseSettings();

        services.AddShearsPersistence(configuration, DatabaseOutagePolicy.FailFast);
        services.AddSingleton(UploadLimits.From(configuration));
        services.AddProblemDetails();
        builder.AddRequestHeadLimits();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [HealthApi.ReadyTag])
            .AddCheck<ArtifactStoreHealthCheck>("artifacts", tags: [HealthApi.ReadyTag]);
        builder.AddApiKeyAuth();
        services.AddTenantRateLimits(configuration);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new OpenApiInfo { Title = "Shears", Version = "v1", Description = "Pruning as a service." });
            swagger.AddSecurityDefinition("ApiKey", new OpenApiSecurityScheme { Name = "X-Api-Key", In = ParameterLocation.Header, Type = SecuritySchemeType.ApiKey });
            swagger.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
            swagger.OperationFilter<RequestBodyOperationFilter>();
            swagger.MapType<CreateJobRequest>(JobRequestSchema.Build);
        });

        if (database.IsPostgres)
        {
            services.AddShearsJobDispatch(hangfire => hangfire.UseShearsPostgresStorage(database.PostgresConnectionString!));
            services.AddHostedService<PostgresJobEventListener>();
        }
        else
        {
            services.AddShearsJobDispatch(hangfire => hangfire.UseInMemoryStorage());
            services.AddShearsJobServer(configuration.GetWorkerQueues(JobQueues.Cpu, JobQueues.Gpu));
        }
        services.AddSingleton(ReconcilerSettings.From(configuration));
        services.AddHostedService<JobReconciler>();
    }

    /// <summary>
    /// Creates or migrates the schema before anything else touches it. Only the Api does this; on PostgreSQL it
    /// waits (with backoff) for the server to come up.
    /// </summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        var waitForDatabase = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 10, BackoffType = DelayBackoffType.Exponential, Delay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) })
            .Build();
        var contexts = app.Services.GetRequiredService<IDbContextFactory<ShearsDbContext>>();
        await waitForDatabase.ExecuteAsync(async cancellationToken =>
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.InitializeSchemaAsync(cancellationToken);
        }, app.Lifetime.ApplicationStopping);
    }

    /// <summary>
    /// Problem details for errors (and for request heads over the limits), the browser guard of keyless mode,
    /// authentication, Swagger UI and the admin-only Hangfire dashboard.
    /// </summary>
    public static void UseShearsPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseRequestHeadLimits();
        if (app.Services.GetRequiredService<ApiKeyRegistry>().IsOpen)
        {
            app.UseMiddleware<KeylessBrowserGuard>();
        }
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseSwagger();
        app.UseSwaggerUI();
        app.MapHangfireDashboardWithAuthorizationPolicy(AuthExtensions.AdminPolicy, "/hangfire",
            new DashboardOptions { DashboardTitle = "Shears jobs", DisplayStorageConnectionString = false });
    }

    /// <summary>All of <c>/v1</c>, behind an API key; any of it answers 503 while the database cannot be reached.</summary>
    public static void MapShearsApiV1(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1").RequireAuthorization().RefusesWith(StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable);
        v1.MapModelsApi();
        v1.MapDatasetsApi();
        v1.MapJobsApi();
        v1.MapJobEventsApi();
        v1.MapArtifactsApi();
    }

    /// <summary>Says at start which mode runs, where Swagger UI is, and whether anyone may call without a key.</summary>
    public static void AnnounceAtStart(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Shears");
            var database = app.Services.GetRequiredService<DatabaseSettings>();
            var mode = database.IsPostgres
                ? "distributed mode: PostgreSQL; jobs run in Worker processes"
                : $"embedded mode: SQLite at {Path.GetFullPath(database.SqlitePath)}, jobs run in this process";
            StartupLog.Mode(logger, mode);
            foreach (var url in app.Urls)
            {
                StartupLog.Swagger(logger, url);
            }
            if (app.Services.GetRequiredService<ApiKeyRegistry>().IsOpen)
            {
                StartupLog.Open(logger);
            }
        });
    }
}
