using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Shears.Load;

/// <summary>
/// Streams a large model upload (zero bytes, generated on the fly) and samples the Api process's resident
/// memory meanwhile: it must stay flat, because the body is hashed and written to disk as it arrives.
/// </summary>
internal static class UploadMemory
{
    /// <summary>Growth of the Api's resident memory over its level before the upload that still counts as flat.</summary>
    private const double FlatMb = 256;

    public static async Task<Measured> RunAsync(string url, string key, int apiPid, long bytes)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var before = ResidentMb(apiPid);
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentMb(apiPid));
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        using var content = new ZeroContent(bytes);
        using var response = await http.PostAsync("v1/models?name=load-big-upload.onnx", content);
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        var growth = peak - before;
        var answered = response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest;
        return new Measured("Api memory during a large upload", $"one {bytes / (1 << 20):N0} MiB POST /v1/models body (zeros: not ONNX), Api RSS sampled every 100 ms",
        [
            new("Api RSS before → peak", $"{before:F0} → {peak:F0} MB"),
            new("growth", $"{growth:F0} MB", $"≤ {FlatMb:F0} MB (flat)", growth <= FlatMb),
            new("answer", $"{(int)response.StatusCode} {response.StatusCode}", "a 4xx problem (not an ONNX file)", answered),
            new("throughput", $"{bytes / elapsed.TotalSeconds / (1 << 20):F0} MiB/s"),
        ]);
    }

    private static double ResidentMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>A body of <c>length</c> zero bytes, written in 1 MiB pieces and never held whole.</summary>
    private sealed class ZeroContent : HttpContent
    {
        private readonly long _length;

        public ZeroContent(long length)
        {
            _length = length;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            Headers.ContentLength = length;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[1 << 20];
            for (var left = _length; left > 0; left -= chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
