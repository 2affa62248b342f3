using Shears.Api.Apis;
using Shears.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddShearsApi();

var app = builder.Build();
await app.InitializeDatabaseAsync();

app.UseShearsPipeline();
app.UseShearsWebUi();
app.MapHealthApi();
app.MapShearsApiV1();
app.AnnounceAtStart();

app.Run();
