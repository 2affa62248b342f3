using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// Requests a newcomer gets wrong, sent over real HTTP to a real Api process: each is refused with problem details
/// that say what is wrong, never ignored and never a bare status.
/// </summary>
public sealed class RequestRefusalTests(EmbeddedApi api) : IClassFixture<EmbeddedApi>
{
    private static readonly string SomeId = Guid.NewGuid().ToString();

    private Task<HttpResponseMessage> PostJobAsync(string json, string contentType = "application/json")
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return api.Client.PostAsync("/v1/jobs", content);
    }

    [Fact]
    public async Task An_unknown_top_level_field_is_named_in_a_422_not_ignored()
    {
        var response = await PostJobAsync($$$"""{"modelId":"{{{SomeId}}}","datasetId":"{{{SomeId}}}","method":"magnitude","target":{"flops":0.5},"option":{"epochs":1}}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "Unknown field 'option'", "options");
        Assert.True(problem.GetProperty("errors").TryGetProperty("option", out _), problem.ToString());
        Assert.Equal(0, (await api.Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task An_unknown_target_member_is_named_in_a_422()
    {
        var response = await PostJobAsync($$$"""{"modelId":"{{{SomeId}}}","datasetId":"{{{SomeId}}}","method":"magnitude","target":{"flop":0.5}}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "Unknown target 'flop'");
        Assert.True(problem.GetProperty("errors").TryGetProperty("target.flop", out _), problem.ToString());
    }

    [Fact]
    public async Task Missing_ids_are_said_to_be_missing()
    {
        var response = await PostJobAsync("""{"method":"magnitude","target":{"flops":0.5}}""");
        var errors = (await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("errors");
        Assert.Contains("modelId is missing", errors.GetProperty("modelId")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("datasetId is missing", errors.GetProperty("datasetId")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_id_that_is_not_a_GUID_is_refused_with_the_reason()
    {
        var response = await PostJobAsync($$$"""{"modelId":"lenet5","datasetId":42,"method":"magnitude","target":{"flops":"half"}}""");
        var errors = (await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("errors");
        Assert.Contains("GUID", errors.GetProperty("modelId")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("\"lenet5\"", errors.GetProperty("modelId")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("number", errors.GetProperty("datasetId")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("must be a number", errors.GetProperty("target.flops")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"modelId\": ", "not valid JSON")]
    [InlineData("{\"method\": 'magnitude'}", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public async Task Malformed_JSON_gets_a_400_with_the_parsers_reason(string body, string mention)
    {
        var response = await PostJobAsync(body);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, mention, "LineNumber");
    }

    [Fact]
    public async Task A_job_request_in_another_content_type_gets_a_415_naming_JSON()
    {
        var response = await PostJobAsync("modelId=x", "application/x-www-form-urlencoded");
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "application/json", "application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task A_wrong_key_is_said_to_be_wrong_and_a_missing_one_to_be_required()
    {
        await (await api.Process.ClientFor("not-the-key").GetAsync("/v1/models")).AssertProblemAsync(HttpStatusCode.Unauthorized, "wrong");
        await (await api.Process.ClientFor(null).GetAsync("/v1/models")).AssertProblemAsync(HttpStatusCode.Unauthorized, "required");
    }

    [Theory]
    [InlineData("/v1/models", "application/octet-stream")]
    [InlineData("/v1/models", "multipart/form-data; boundary=b")]
    [InlineData("/v1/datasets", "multipart/form-data; boundary=b")]
    public async Task An_empty_upload_gets_a_4xx_with_a_sentence(string path, string contentType)
    {
        var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await api.Client.PostAsync(path, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {body}");
        await response.AssertProblemAsync(response.StatusCode, "empty");
    }

    [Theory]
    [InlineData("/v1/models", "text/plain", "application/octet-stream")]
    [InlineData("/v1/datasets", "application/octet-stream", "multipart/form-data")]
    public async Task An_upload_in_a_content_type_the_endpoint_does_not_read_gets_a_415_naming_those_it_does(string path, string contentType, string accepted)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx")));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        await (await api.Client.PostAsync(path, content)).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, accepted, contentType);
    }
}
