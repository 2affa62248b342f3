using Microsoft.AspNetCore.Connections;
using Shears.Api.Apis;
using Shears.Api.Auth;
using Shears.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddShearsApi();
builder.AddShearsApiTelemetry();

var app = builder.Build();
// A taken port is said in one line before anything else starts (Kestrel would throw it with a stack trace).
if (ListenAddresses.FirstTaken(app.Configuration, loopbackOnly: app.Services.GetRequiredService<ApiKeyRegistry>().IsOpen) is { } taken)
{
    Console.Error.WriteLine(ListenAddresses.TakenMessage(taken));
    return 1;
}
await app.InitializeDatabaseAsync();

app.UseShearsPipeline();
app.UseShearsWebUi();
app.MapHealthApi();
app.MapShearsTelemetry();
app.MapShearsApiV1();
app.AnnounceAtStart();

try
{
    app.Run();
}
catch (IOException e) when (e.InnerException is AddressInUseException)
{
    // Taken between the check above and Kestrel's bind.
    Console.Error.WriteLine($"{e.Message} Stop the program holding it, or choose another port (ASPNETCORE_HTTP_PORTS, ASPNETCORE_URLS).");
    return 1;
}
return 0;
