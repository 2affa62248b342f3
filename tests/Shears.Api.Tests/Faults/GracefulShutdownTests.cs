using System.Diagnostics;
using Shears.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// A worker process asked to stop (SIGTERM, as <c>docker stop</c> or Kubernetes do) while it fine-tunes checkpoints
/// and gives the job back promptly, without failing it or spending one of its attempts; another worker process
/// resumes it from that checkpoint and finishes it.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class GracefulShutdownTests(PostgresServer postgres, ITestOutputHelper output)
{
    private static readonly TimeSpan HandBackWithin = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_worker_stopped_mid_job_hands_it_back_within_10_s_and_another_worker_finishes_it()
    {
        using var scene = await DistributedScene.StartAsync(postgres);
        var (api, first, client) = (scene.Api, scene.Worker, scene.Client);
        var jobId = await scene.QueueJobAsync(new { epochs = 4, batchSize = 50 });

        WorkerProcess? second = null;
        var sinceTerm = new Stopwatch();
        TimeSpan? handedBackAfter = null;
        var stoppedAfterStep = 0;
        Task<TimeSpan>? exitedAfter = null;
        using var stream = new ResumingEventReader(client, jobId);
        try
        {
            await stream.ReadToEndAsync(TimeSpan.FromMinutes(6), e =>
            {
                if (e.Type == "progress" && second is null && e.Json.GetProperty("message").GetString()!.StartsWith("fine-tuning step", StringComparison.Ordinal))
                {
                    stoppedAfterStep = e.Json.GetProperty("step").GetInt32();
                    // The job runs on the first worker; a second one stands by, then the first is asked to stop.
                    second = scene.StartWorker();
                    first.Process.Terminate();
                    sinceTerm.Start();
                    exitedAfter = first.Process.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => sinceTerm.Elapsed, TaskScheduler.Default);
                }
                if (e.Type == "log" && e.Json.GetProperty("message").GetString()!.Contains("goes back to the queue", StringComparison.Ordinal))
                {
                    handedBackAfter = sinceTerm.Elapsed;
                }
                return Task.CompletedTask;
            });
            var exited = await exitedAfter!.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"SIGTERM after fine-tuning step {stoppedAfterStep}; handed back {handedBackAfter?.TotalSeconds:F1} s after it; the first worker exited with {first.Process.ExitCode} " +
                $"{exited.TotalSeconds:F1} s after it");

            Assert.True(handedBackAfter < HandBackWithin, $"handed back after {handedBackAfter}\n{first.Output}");
            Assert.True(exited < TimeSpan.FromSeconds(30), $"the worker took {exited} to exit\n{first.Output}");
            Assert.Equal(0, first.Process.ExitCode);

            // One sequence of events; the job ran on the first worker, then on the second, and succeeded once.
            Assert.Equal(Enumerable.Range(1, stream.Events.Count).Select(i => (long)i), stream.Events.Select(e => e.Id));
            var statuses = stream.Events.Where(e => e.Type == "status").Select(e => e.Json.GetProperty("status").GetString()).ToList();
            output.WriteLine($"last status: {stream.Events.Last(e => e.Type == "status").Data}");
            Assert.Equal(["queued", "running", "running", "succeeded"], statuses);
            var starts = stream.Events.Where(e => e.Type == "status" && e.Json.GetProperty("status").GetString() == "running")
                .Select(e => e.Json.GetProperty("message").GetString()!).ToList();
            Assert.Contains($":{first.Process.Id} ", starts[0], StringComparison.Ordinal);
            Assert.Contains($":{second!.Process.Id} ", starts[1], StringComparison.Ordinal);

            // The second worker went on from where the first stopped, not from the start.
            var resumedAt = stream.Events.Where(e => e.Type == "log").Select(e => e.Json.GetProperty("message").GetString()!)
                .Select(m => System.Text.RegularExpressions.Regex.Match(m, @"^Resumed from the checkpoint saved after fine-tuning step (\d+)"))
                .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            Assert.True(resumedAt >= stoppedAfterStep && resumedAt > 0, $"stopped after step {stoppedAfterStep}, resumed at {resumedAt}\n{second.Output}");

            // The hand-back was not the job's failure: it did not use up an attempt.
            var job = await client.GetJsonAsync($"/v1/jobs/{jobId}");
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            Assert.Equal(2, (await client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
        }
        finally
        {
            second?.Dispose();
        }
    }
}
