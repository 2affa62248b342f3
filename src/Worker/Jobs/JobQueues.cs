namespace Shears.Worker.Jobs;

/// <summary>Hangfire queues; a worker serves the ones listed in <c>Worker:Queues</c>.</summary>
public static class JobQueues
{
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";
}
