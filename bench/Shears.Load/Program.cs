using Shears.Cli.Api;
using Shears.Load;

// Load test of a running Shears (distributed mode) on loopback; bench/load.sh starts PostgreSQL, the Api
// and two Workers, then runs this. Every scenario is bounded in count and time.
if (LoadOptions.Parse(args) is not { } options)
    return 2;
using var client = new ShearsClient(options.Url, options.Key);
var fixtures = await LoadFixtures.UploadAsync(client);
var report = new LoadReport(options);

report.Add(await Submissions.RunAsync(client, fixtures, options.Submissions, options.Deadline));
report.Add(await FirstEventLatency.RunAsync(client, fixtures, options.FirstEventJobs, options.Deadline));
report.Add(await Subscribers.RunAsync(client, fixtures, options.Subscribers, options.ReadsPerSecond, options.Deadline));
report.Add(await UploadMemory.RunAsync(options.Url, options.Key, options.ApiPid, options.UploadBytes));

Console.WriteLine(report.Markdown());
if (options.Output is { } path)
    await File.WriteAllTextAsync(path, report.Markdown());
return report.AllHeld ? 0 : 1;
