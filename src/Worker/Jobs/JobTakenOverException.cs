namespace Shears.Worker.Jobs;


/// <summary>The job's row names another worker now; this run must not write an outcome.</summary>
internal sealed class JobTakenOverException : Exception;
