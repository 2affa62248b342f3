using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>Chooses where a job's tensors live from the job's <c>device</c> option.</summary>
public static class EngineDevice
{
    public static Device Resolve(string option) => option switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new PruningFailedException("The job asks for device 'cuda' but this worker has no CUDA device; use 'auto' or 'cpu', or send it to the gpu queue."),
        _ => cuda.is_available() ? CUDA : CPU,
    };
}
