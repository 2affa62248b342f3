namespace Shears.Api.Uploads;

/// <summary>A request whose body is not shaped as the endpoint expects (answered with 400).</summary>
public sealed class BadUploadException(string message) : Exception(message);
