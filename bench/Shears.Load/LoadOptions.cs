using System.CommandLine;

namespace Shears.Load;

/// <summary>Where the service is, and how hard to push it.</summary>
internal sealed record LoadOptions(string Url, string Key, int ApiPid, int Submissions, int FirstEventJobs, int Subscribers, int ReadsPerSecond,
    long UploadBytes, TimeSpan Deadline, string? Output, string CommandLine)
{
    private static readonly Option<string> UrlOption = new("--url") { Required = true, Description = "The Api's base URL; loopback only." };
    private static readonly Option<string> KeyOption = new("--key") { Required = true, Description = "An API key of the service." };
    private static readonly Option<int> ApiPidOption = new("--api-pid") { Required = true, Description = "The Api's process id, to sample its memory." };
    private static readonly Option<int> SubmissionsOption = new("--submissions") { DefaultValueFactory = _ => 200, Description = "Jobs submitted at once." };
    private static readonly Option<int> FirstEventOption = new("--first-event-jobs") { DefaultValueFactory = _ => 10, Description = "Jobs submitted one by one to time enqueue → first event." };
    private static readonly Option<int> SubscribersOption = new("--subscribers") { DefaultValueFactory = _ => 500, Description = "Concurrent event-stream readers on two running jobs." };
    private static readonly Option<int> ReadsOption = new("--reads-per-second") { DefaultValueFactory = _ => 50, Description = "Steady rate of GET /v1/jobs/{id} while the streams run." };
    private static readonly Option<long> UploadOption = new("--upload-bytes") { DefaultValueFactory = _ => 2L << 30, Description = "Size of the streamed upload whose Api memory is watched." };
    private static readonly Option<int> MinutesOption = new("--minutes") { DefaultValueFactory = _ => 20, Description = "Bound on each scenario's wait for jobs." };
    private static readonly Option<string?> OutOption = new("--out") { Description = "Also write the markdown report here." };

    public static LoadOptions? Parse(string[] args)
    {
        var root = new RootCommand("Shears load test: concurrent submissions, event-stream fan-out, read latency, enqueue → first event, upload memory.")
        {
            UrlOption, KeyOption, ApiPidOption, SubmissionsOption, FirstEventOption, SubscribersOption, ReadsOption, UploadOption, MinutesOption, OutOption,
        };
        UrlOption.Validators.Add(result =>
        {
            if (Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var url) is false || !url.IsLoopback)
                result.AddError("--url must be an absolute loopback URL (this program only loads a service on this machine).");
        });
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.Action is not null)
        {
            parsed.Invoke();
            return null;
        }
        return new LoadOptions(parsed.GetValue(UrlOption)!, parsed.GetValue(KeyOption)!, parsed.GetValue(ApiPidOption), parsed.GetValue(SubmissionsOption),
            parsed.GetValue(FirstEventOption), parsed.GetValue(SubscribersOption), parsed.GetValue(ReadsOption), parsed.GetValue(UploadOption),
            TimeSpan.FromMinutes(parsed.GetValue(MinutesOption)), parsed.GetValue(OutOption),
            string.Join(' ', args.Select((a, i) => i > 0 && args[i - 1] == "--key" ? "…" : a)));
    }
}
