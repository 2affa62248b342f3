using Shears.Cli;

return await ShearsCommandLine.RunAsync(args, CliConsole.System());
