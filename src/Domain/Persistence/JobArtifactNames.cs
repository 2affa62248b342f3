namespace Shears.Domain.Persistence;

/// <summary>
/// The files a succeeded job offers for download, with their content types; and, while a job runs, its latest
/// training checkpoint (removed when the job ends).
/// </summary>
public static class JobArtifactNames
{
    public const string PrunedOnnx = "pruned.onnx";
    public const string Report = "report.json";
    public const string ReportPng = "report.png";
    public const string Weights = "weights.safetensors";
    public const string Checkpoint = "checkpoint.safetensors";

    public static IReadOnlyDictionary<string, string> ContentTypes { get; } = new Dictionary<string, string>
    {
        [PrunedOnnx] = "application/octet-stream",
        [Report] = "application/json",
        [ReportPng] = "image/png",
        [Weights] = "application/octet-stream",
        [Checkpoint] = "application/octet-stream",
    };
}
