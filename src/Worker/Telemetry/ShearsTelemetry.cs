using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Shears.Worker.Telemetry;

/// <summary>
/// The service's spans and measurements, under one name (<c>Shears</c>) for the ActivitySource and the Meter. A job's spans
/// carry its id as <see cref="JobIdTag"/>; measurements carry no ids (they would make a series per job).
/// </summary>
public static class ShearsTelemetry
{
    public const string Name = "Shears";
    public const string JobIdTag = "shears.job.id";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>From a job's creation to the start of its first attempt.</summary>
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("shears.job.queue_wait", "s",
        "Time from a job's creation to the start of its first attempt.");

    /// <summary>From a job's first start to its end, by method and final status.</summary>
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("shears.job.duration", "s",
        "Time from a job's first start to its end, by method and final status.");

    /// <summary>One training step (forward, backward, update), by training phase.</summary>
    public static readonly Histogram<double> StepTime = Meter.CreateHistogram<double>("shears.training.step_time", "s",
        "Time of one training step, by training phase.");

    /// <summary>Bytes of uploaded files stored, by multipart part (or <c>upload</c> for a plain body).</summary>
    public static readonly Counter<long> UploadedBytes = Meter.CreateCounter<long>("shears.uploads.bytes", "By",
        "Bytes of uploaded files stored.");

    /// <summary>
    /// A span under the current one that carries the job id of its parent (so every span of a job can be found by its id).
    /// </summary>
    public static Activity? StartSpan(string name)
    {
        var jobId = Activity.Current?.GetTagItem(JobIdTag);
        var span = Source.StartActivity(name);
        span?.SetTag(JobIdTag, jobId);
        return span;
    }
}
