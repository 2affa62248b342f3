namespace Shears.Api.Uploads;

/// <summary>Turns the multipart reader's complaints about the body into <see cref="BadUploadException"/>s that quote them.</summary>
internal static class Malformed
{
    public static async Task<T> Guard<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (InvalidDataException malformed)
        {
            throw new BadUploadException($"The multipart body is malformed: {malformed.Message}");
        }
        catch (IOException ended) when (ended.Message.StartsWith("Unexpected end of Stream", StringComparison.Ordinal))
        {
            throw new BadUploadException("The multipart body ends before its closing boundary (--boundary--); was it cut short?");
        }
    }
}
