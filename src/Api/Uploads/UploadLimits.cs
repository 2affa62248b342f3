using Shears.Domain.Datasets;

namespace Shears.Api.Uploads;

/// <summary>
/// Largest accepted upload per file: <c>Uploads:MaxModelBytes</c> [512 MiB] and <c>Uploads:MaxDatasetFileBytes</c>
/// [1 GiB]. Beyond them the answer is 413, decided from Content-Length when it is sent, else while streaming.
/// <c>Uploads:MaxDatasetDecodedBytes</c> [2 GiB] bounds what one (gzipped) dataset file may decode to.
/// </summary>
public sealed record UploadLimits(long MaxModelBytes, long MaxDatasetFileBytes, DatasetLimits Dataset)
{
    public static UploadLimits From(IConfiguration configuration) => new(
        configuration.GetValue<long?>("Uploads:MaxModelBytes") ?? 512L * 1024 * 1024,
        configuration.GetValue<long?>("Uploads:MaxDatasetFileBytes") ?? 1024L * 1024 * 1024,
        new DatasetLimits(configuration.GetValue<long?>("Uploads:MaxDatasetDecodedBytes") ?? new DatasetLimits().MaxDecodedBytes));
}
