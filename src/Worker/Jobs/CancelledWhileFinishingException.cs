namespace Shears.Worker.Jobs;

/// <summary>
/// The user's cancel committed while the job was storing its result: the cancel was accepted (202), so the job ends
/// cancelled and its result is discarded rather than handed out.
/// </summary>
internal sealed class CancelledWhileFinishingException : Exception;
