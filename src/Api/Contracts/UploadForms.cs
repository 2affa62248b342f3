namespace Shears.Api.Contracts;

/// <summary>The multipart form of a model upload, as Swagger UI shows it (the body is streamed, never bound).</summary>
public sealed record ModelUploadForm(IFormFile File);

/// <summary>
/// The multipart form of a dataset upload, as Swagger UI shows it (the body is streamed, never bound). <c>Labels</c> is
/// left out when <c>Inputs</c> is an image archive.
/// </summary>
public sealed record DatasetUploadForm(IFormFile Inputs, IFormFile? Labels);
