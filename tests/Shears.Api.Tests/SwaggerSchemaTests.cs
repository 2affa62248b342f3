using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Shears.Domain.Jobs;

namespace Shears.Api.Tests;

/// <summary>
/// The Swagger document a real Api process serves describes what the service accepts and how it refuses: the job
/// request's fields, which of them are required, every option the parser knows (read from the parser's own table,
/// so a new option that is missing from the schema fails here), and the problem-details answers.
/// </summary>
public sealed class SwaggerSchemaTests(EmbeddedApi api) : IClassFixture<EmbeddedApi>
{
    private async Task<JsonElement> DocumentAsync() => await api.Process.ClientFor(null).GetJsonAsync("/swagger/v1/swagger.json");

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
        => schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    private static JsonElement JobRequestSchema(JsonElement document) => Resolve(document, document.GetProperty("paths").GetProperty("/v1/jobs")
        .GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));

    [Fact]
    public async Task The_job_request_schema_lists_its_fields_marks_the_required_ones_and_refuses_others()
    {
        var document = await DocumentAsync();
        var schema = JobRequestSchema(document);
        Assert.Equal(["datasetId", "method", "modelId"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order());
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(JobRequestParser.Fields.Order(), schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("uuid", schema.GetProperty("properties").GetProperty("modelId").GetProperty("format").GetString());
        Assert.Equal(PruningMethodNames.All, schema.GetProperty("properties").GetProperty("method").GetProperty("enum").EnumerateArray().Select(m => m.GetString()!));
        var target = schema.GetProperty("properties").GetProperty("target");
        Assert.Equal(JobRequestParser.TargetFields.Order(), target.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(["flops", "params"], target.GetProperty("properties").GetProperty("by").GetProperty("enum").EnumerateArray().Select(m => m.GetString()!));
        Assert.Equal("array", target.GetProperty("properties").GetProperty("flops").GetProperty("anyOf")[1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Every_option_the_parser_knows_is_in_the_schema_with_its_type_and_range()
    {
        var options = JobRequestSchema(await DocumentAsync()).GetProperty("properties").GetProperty("options");
        Assert.False(options.GetProperty("additionalProperties").GetBoolean());
        var properties = options.GetProperty("properties");
        Assert.Equal(PruningOptionsParser.OptionNames.Order(), properties.EnumerateObject().Select(p => p.Name).Order());
        foreach (var option in PruningOptionsParser.Options)
        {
            var schema = properties.GetProperty(option.Name);
            if (option.Kind == OptionKind.Numbers)
            {
                Assert.Equal("array", schema.GetProperty("anyOf")[1].GetProperty("type").GetString());
                schema = schema.GetProperty("anyOf")[0];
            }
            if (option.Kind is OptionKind.NumbersByName or OptionKind.ChoicesByName)
            {
                Assert.Contains("object", schema.GetProperty("type").ToString(), StringComparison.Ordinal);
                schema = schema.GetProperty("additionalProperties");
            }
            var types = schema.GetProperty("type").ToString();
            Assert.Contains(option.Kind switch { OptionKind.Number or OptionKind.Numbers or OptionKind.NumbersByName => "number", OptionKind.WholeNumber => "integer", OptionKind.Flag => "boolean", _ => "string" }, types, StringComparison.Ordinal);
            if (option.Kind is OptionKind.Choice or OptionKind.ChoicesByName)
            {
                Assert.Equal(option.Choices, schema.GetProperty("enum").EnumerateArray().Select(c => c.GetString()!));
            }
            else if (option.Kind != OptionKind.Flag)
            {
                Assert.Equal(option.Maximum, double.Parse(schema.GetProperty("maximum").ToString(), System.Globalization.CultureInfo.InvariantCulture));
                Assert.True(schema.TryGetProperty(option.MinimumExclusive ? "exclusiveMinimum" : "minimum", out _), $"{option.Name}: {schema}");
            }
        }
        Assert.Contains("fisher only", properties.GetProperty("beta").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_are_listed_as_problem_details_and_uploads_list_their_content_types()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        void AssertProblems(string path, string verb, params string[] statuses)
        {
            var responses = paths.GetProperty(path).GetProperty(verb).GetProperty("responses");
            foreach (var status in statuses)
            {
                Assert.True(responses.TryGetProperty(status, out var response), $"{verb} {path} does not list {status}: {responses}");
                Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{verb} {path} {status}: {response}");
            }
        }
        AssertProblems("/v1/jobs", "post", "400", "401", "404", "415", "422", "429", "503");
        AssertProblems("/v1/jobs/{id}", "get", "401", "404");
        AssertProblems("/v1/jobs/{id}/cancel", "post", "404", "409");
        AssertProblems("/v1/models", "post", "400", "401", "413", "415", "422");
        AssertProblems("/v1/models/{id}", "delete", "404", "409");
        AssertProblems("/v1/datasets", "post", "400", "413", "415", "422");

        Assert.Equal(["application/octet-stream", "multipart/form-data"],
            paths.GetProperty("/v1/models").GetProperty("post").GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal(["multipart/form-data"],
            paths.GetProperty("/v1/datasets").GetProperty("post").GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name));
    }
}
