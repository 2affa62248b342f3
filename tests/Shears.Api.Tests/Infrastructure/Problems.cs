using System.Net;
using System.Text.Json;

namespace Shears.Api.Tests.Infrastructure;

internal static class Problems
{
    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> whose text mentions every one of <paramref name="mentions"/>.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status, params string[] mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        foreach (var mention in mentions)
        {
            Assert.True(body.Contains(mention, StringComparison.OrdinalIgnoreCase), $"'{mention}' is not in: {body}");
        }
        return problem;
    }
}
