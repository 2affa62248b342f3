namespace Shears.Api.Extensions;

internal static partial class StartupLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Shears is running in {Mode}")]
    public static partial void Mode(ILogger logger, string mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Swagger UI: {Url}/swagger")]
    public static partial void Swagger(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys are configured (Auth:ApiKeys): anyone on this machine may call the API without a key, so it listens on loopback only.")]
    public static partial void Open(ILogger logger);
}
