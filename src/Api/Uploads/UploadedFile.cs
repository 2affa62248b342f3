using Shears.Domain.Persistence;

namespace Shears.Api.Uploads;

/// <summary>A file that arrived in a request and now sits in the artifact store, held there until the upload ends.</summary>
/// <param name="FileName">The client's file name reduced to a bare name; a label and a format hint, never a path.</param>
public sealed record UploadedFile(HeldBlob Held, string FileName)
{
    public StoredBlob Blob => Held.Blob;
}
