using System.CommandLine;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary><c>shears datasets upload --inputs F --labels F [--name N]</c>, <c>list</c>, <c>delete ID</c>.</summary>
public static class DatasetsCommands
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var inputs = new Option<FileInfo>("--inputs") { Description = "Inputs: IDX (optionally .gz) or .npy.", Required = true };
        var labels = new Option<FileInfo>("--labels") { Description = "Labels: IDX (optionally .gz) or .npy.", Required = true };
        var name = new Option<string?>("--name") { Description = "A name for the dataset (default: the inputs' file name)." };
        var upload = new Command("upload", "Upload a labelled dataset; prints its id, size and shape.") { inputs, labels, name };
        CommandRunner.Bind(upload, global, console, async (run, cancellationToken) =>
        {
            var dataset = await run.Client.UploadDatasetAsync(run.Parse.GetValue(inputs)!.FullName, run.Parse.GetValue(labels)!.FullName,
                run.Parse.GetValue(name), cancellationToken);
            run.Write(dataset, output => output.WriteLine($"Dataset {dataset.Text("id")} '{dataset.Text("name")}': {dataset.Count("samples")} samples "
                + $"of shape {dataset.Text("inputShape")}, {dataset.Text("numClasses")} classes"));
            return ExitCodes.Success;
        });
        var list = ListCommand.Create("datasets", global, console,
            dataset => $"{dataset.Text("name")}  {dataset.Count("samples")} samples of shape {dataset.Text("inputShape")}, {dataset.Text("numClasses")} classes");
        return new Command("datasets", "Labelled datasets.") { upload, list, DeleteCommand.Create("datasets", "dataset", global, console) };
    }
}
