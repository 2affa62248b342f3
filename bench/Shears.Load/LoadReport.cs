using System.Text;

namespace Shears.Load;

/// <summary>The run's figures as markdown, with the command and the machine.</summary>
internal sealed class LoadReport(LoadOptions options)
{
    private readonly List<Measured> _scenarios = [];

    public bool AllHeld => _scenarios.SelectMany(s => s.Figures).All(f => f.Held is not false);

    public void Add(Measured measured)
    {
        _scenarios.Add(measured);
        Console.WriteLine($"{measured.Scenario}: {string.Join("; ", measured.Figures.Select(f => $"{f.Name} {f.Value}"))}");
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Load test");
        md.AppendLine();
        md.AppendLine("`bench/load.sh` started a throwaway PostgreSQL 15, the Api and two Workers (distributed mode, loopback), then ran:");
        md.AppendLine();
        md.AppendLine($"```\nbench/Shears.Load {options.CommandLine}\n```");
        foreach (var scenario in _scenarios)
        {
            md.AppendLine();
            md.AppendLine($"## {scenario.Scenario}");
            md.AppendLine();
            md.AppendLine(scenario.Setup + ".");
            md.AppendLine();
            md.AppendLine("| figure | measured | goal | held |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (var figure in scenario.Figures)
                md.AppendLine($"| {figure.Name} | {figure.Value} | {figure.Goal} | {figure.Held switch { true => "yes", false => "**no**", null => "" }} |");
        }
        md.AppendLine();
        md.AppendLine($"Machine: {Environment.ProcessorCount} logical cores, {File.ReadLines("/proc/meminfo").First()}; load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}.");
        return md.ToString();
    }
}
