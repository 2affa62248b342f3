namespace Shears.Api.Uploads;

/// <summary>The client closed the connection before its upload arrived in full: logged as such, answered to nobody.</summary>
public sealed class ClientDroppedException(long bytesExpected, Exception cause)
    : Exception($"The client dropped the connection before sending its {bytesExpected}-byte body ({cause.Message}).", cause);
