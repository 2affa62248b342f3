using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary><c>shears models|datasets|jobs list [--page N] [--page-size N]</c>: one line per item, newest first.</summary>
public static class ListCommand
{
    public const int DefaultPageSize = 20;

    /// <param name="resource">The collection's path under <c>/v1</c>.</param>
    /// <param name="line">One item as a line of text (after its id and creation time).</param>
    public static Command Create(string resource, GlobalOptions global, CliConsole console, Func<JsonElement, string> line)
    {
        var page = new Option<int>("--page") { Description = "Which page, 1 being the newest items.", DefaultValueFactory = _ => 1 };
        page.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--page must be 1 or more.");
            }
        });
        var pageSize = new Option<int>("--page-size") { Description = "Items per page (1-100).", DefaultValueFactory = _ => DefaultPageSize };
        pageSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 100)
            {
                result.AddError("--page-size must be from 1 to 100.");
            }
        });
        var list = new Command("list", $"List your {resource}, newest first.") { page, pageSize };
        CommandRunner.Bind(list, global, console, async (run, cancellationToken) =>
        {
            var (index, size) = (run.Parse.GetValue(page) - 1, run.Parse.GetValue(pageSize));
            var answer = await run.Client.ListAsync(resource, index, size, cancellationToken);
            run.Write(answer, output =>
            {
                var items = answer.GetProperty("data").EnumerateArray().ToArray();
                foreach (var item in items)
                {
                    var created = item.GetProperty("createdAt").GetDateTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
                    output.WriteLine($"{item.Text("id")}  {created}  {line(item)}");
                }
                var count = answer.GetProperty("count").GetInt64();
                output.WriteLine(count == 0 ? $"No {resource}."
                    : items.Length == 0 ? $"Page {index + 1} is past the end: there are {count} {resource}."
                    : count > index * size + items.Length ? $"{index * size + 1}-{index * size + items.Length} of {count} {resource}; --page {index + 2} for more."
                    : $"{index * size + 1}-{index * size + items.Length} of {count} {resource}.");
            });
            return ExitCodes.Success;
        });
        return list;
    }
}
