using OpenTelemetry.Metrics;
using Shears.Domain.Persistence;
using Shears.Worker.Hosting;
using Shears.Worker.Jobs;

// The Worker process of distributed mode: a Hangfire server that takes pruning jobs from PostgreSQL.
var builder = Host.CreateApplicationBuilder(args);

var database = builder.Configuration.GetDatabaseSettings();
if (!database.IsPostgres)
{
    Console.Error.WriteLine("The worker needs ConnectionStrings:Postgres (env ConnectionStrings__Postgres). In embedded mode the Api runs jobs itself.");
    return 2;
}

builder.Services.AddShearsPersistence(builder.Configuration, DatabaseOutagePolicy.RetryInBackground);
builder.Services.AddShearsJobDispatch(hangfire => hangfire.UseShearsPostgresStorage(database.PostgresConnectionString!));
builder.Services.AddShearsJobServer(builder.Configuration.GetWorkerQueues(JobQueues.Cpu));
builder.Services.AddSingleton(ReconcilerSettings.From(builder.Configuration));
var telemetry = builder.Services.AddShearsTelemetry(builder.Configuration, "shears-worker");
if (builder.Configuration.PrometheusEnabled())
{
    // No web server here: Prometheus scrapes http://worker:PORT/metrics (Telemetry:Prometheus:Port, 9464).
    var port = builder.Configuration.GetValue("Telemetry:Prometheus:Port", 9464);
    telemetry.WithMetrics(metrics => metrics.AddPrometheusHttpListener(options =>
    {
        options.Host = "+";
        options.Port = port;
    }));
}

builder.Build().Run();
return 0;
