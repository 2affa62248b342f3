using System.Net;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// What a real Api process (Kestrel) answers to requests no route takes and to oversized request lines and header
/// blocks: problem details wherever the application gets to answer; beyond Kestrel's own limits (twice the
/// service's), Kestrel's bare answer, and the service stays up.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class RequestHeadTests(PostgresServer postgres) : IAsyncLifetime
{
    private ApiProcess _api = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync());
        _client = _api.ClientFor(ShearsApiFactory.AlphaKey);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_problem_details()
    {
        await (await _client.GetAsync("/v1/nothing-here")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync("/no/such/page")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"/v1/jobs/{Guid.NewGuid()}/nothing")).AssertProblemAsync(HttpStatusCode.NotFound);
        var wrongMethod = await _client.DeleteAsync("/v1/jobs");
        await wrongMethod.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET", "POST"], wrongMethod.Content.Headers.Allow.Order());
        await (await _client.PutAsync($"/v1/jobs/{Guid.NewGuid()}/cancel", null)).AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_gets_414_with_problem_details()
    {
        var answer = await _client.GetAsync($"/v1/jobs?filter={new string('a', 10_000)}");
        await answer.AssertProblemAsync(HttpStatusCode.RequestUriTooLong, "8192");
    }

    [Fact]
    public async Task Headers_over_the_limit_get_431_with_problem_details()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/jobs");
        for (var i = 0; i < 5; i++)
        {
            request.Headers.Add($"X-Padding-{i}", new string('b', 8_000));
        }
        await (await _client.SendAsync(request)).AssertProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge, "32768");
    }

    [Theory]
    [InlineData("request line", "414 URI Too Long")]
    [InlineData("headers", "431 Request Header Fields Too Large")]
    public async Task Beyond_Kestrels_own_limits_Kestrel_answers_bare_and_closes_and_the_service_stays_up(string what, string status)
    {
        await using (var connection = await RawConnection.OpenAsync(_api.BaseAddress))
        {
            if (what == "request line")
            {
                await connection.SendGetAsync($"/v1/jobs?filter={new string('a', 20_000)}");
            }
            else
            {
                await connection.SendGetAsync("/v1/jobs", [.. Enumerable.Range(0, 9).Select(i => $"X-Padding-{i}: {new string('b', 8_000)}")]);
            }
            var answer = await connection.ReadAnswerAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith($"HTTP/1.1 {status}", answer, StringComparison.Ordinal);
            Assert.Contains("Content-Length: 0", answer, StringComparison.Ordinal);
            Assert.Contains("Connection: close", answer, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/v1/jobs")).StatusCode);
        Assert.False(_api.Process.HasExited);
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        _api.Dispose();
        return Task.CompletedTask;
    }
}
