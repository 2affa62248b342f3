using System.CommandLine;
using System.Text.Json;

namespace Shears.Cli.Commands;

/// <summary><c>shears models|datasets delete ID</c>; the service refuses (409) while a job uses it.</summary>
public static class DeleteCommand
{
    /// <param name="resource">The collection's path under <c>/v1</c>.</param>
    /// <param name="noun">What one item is called: model, dataset.</param>
    public static Command Create(string resource, string noun, GlobalOptions global, CliConsole console)
    {
        var id = new Argument<Guid>("ID") { Description = $"The {noun}'s id." };
        var delete = new Command("delete", $"Delete a {noun} (refused while a queued or running job uses it).") { id };
        CommandRunner.Bind(delete, global, console, async (run, cancellationToken) =>
        {
            var deleted = run.Parse.GetValue(id);
            await run.Client.DeleteAsync(resource, deleted, cancellationToken);
            run.Write(JsonSerializer.SerializeToElement(new { id = deleted, deleted = true }), output => output.WriteLine($"Deleted {noun} {deleted}."));
            return ExitCodes.Success;
        });
        return delete;
    }
}
