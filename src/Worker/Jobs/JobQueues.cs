using TorchSharp;

namespace Shears.Worker.Jobs;

/// <summary>
/// Hangfire queues; a worker serves the ones listed in <c>Worker:Queues</c> that it can run: <see cref="Gpu"/> (jobs
/// with <c>device: cuda</c>) only with a CUDA device, so a live server on the gpu queue means a live CUDA worker.
/// </summary>
public static class JobQueues
{
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";

    /// <summary>The queues of <paramref name="configured"/> this process can serve.</summary>
    /// <exception cref="InvalidOperationException">Only the gpu queue was asked for, on a machine without CUDA.</exception>
    public static string[] ServableHere(string[] configured)
    {
        if (torch.cuda.is_available())
        {
            return configured;
        }
        var servable = configured.Where(queue => queue != Gpu).ToArray();
        return servable.Length > 0
            ? servable
            : throw new InvalidOperationException("Worker:Queues names only the gpu queue, but this machine has no CUDA device; serve cpu here, or run this worker where a GPU is.");
    }
}
