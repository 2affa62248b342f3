using System.CommandLine;
using Shears.Cli.Output;

namespace Shears.Cli.Commands;

/// <summary><c>shears models upload FILE [--name N]</c>, <c>list</c>, <c>delete ID</c>.</summary>
public static class ModelsCommands
{
    public static Command Create(GlobalOptions global, CliConsole console)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The ONNX network to upload." };
        var name = new Option<string?>("--name") { Description = "A name for the model (default: the file name)." };
        var upload = new Command("upload", "Upload an ONNX network; prints its id and what inspection found.") { file, name };
        CommandRunner.Bind(upload, global, console, async (run, cancellationToken) =>
        {
            var model = await run.Client.UploadModelAsync(run.Parse.GetValue(file)!.FullName, run.Parse.GetValue(name), cancellationToken);
            run.Write(model, output =>
            {
                var inspection = model.Child("inspection");
                output.WriteLine($"Model {model.Text("id")} '{model.Text("name")}': {inspection.Count("params")} params, "
                    + $"{inspection.Count("flops")} FLOPs, {inspection.Text("prunableGroups")} prunable groups");
            });
            return ExitCodes.Success;
        });
        var list = ListCommand.Create("models", global, console,
            model => $"{model.Text("name")}  {model.Child("inspection").Count("params")} params"); // a pruned model's name names its job
        return new Command("models", "ONNX networks.") { upload, list, DeleteCommand.Create("models", "model", global, console) };
    }
}
