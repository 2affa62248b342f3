using System.Net;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>Levels (<c>{"flops": [0.5, 0.25]}</c>) and budgets (<c>{"accuracyDrop": 0.01}</c>) that cannot work are 422s naming the field.</summary>
public sealed class TargetPlanValidationTests : IDisposable
{
    private readonly ShearsApiFactory _api = new();

    private HttpClient Client => _api.ClientFor(ShearsApiFactory.AlphaKey);

    [Theory]
    [InlineData("fisher", """{"flops": []}""", "target.flops", "lists no levels")]
    [InlineData("fisher", """{"flops": [0.5, 1.2]}""", "target.flops", "target.flops[1] is 1.2")]
    [InlineData("fisher", """{"params": [0.5, 0]}""", "target.params", "target.params[1] is 0")]
    [InlineData("magnitude", """{"flops": [0.5, 0.5]}""", "target.flops", "0.5 twice")]
    [InlineData("fisher", """{"flops": [0.5, "quarter"]}""", "target.flops", "target.flops[1] must be a number")]
    [InlineData("fisher", """{"flops": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]}""", "target.flops", "at most 8")]
    [InlineData("fisher", """{"flops": [0.5, 0.25], "params": [0.5]}""", "target", "not both")]
    [InlineData("fisher", """{"flops": [0.5, 0.25], "params": 0.5}""", "target", "not both")]
    [InlineData("fisher", """{"accuracyDrop": 1.5}""", "target.accuracyDrop", "strictly between 0 and 1")]
    [InlineData("fisher", """{"accuracyDrop": 0}""", "target.accuracyDrop", "strictly between 0 and 1")]
    [InlineData("fisher", """{"accuracyDrop": -0.01}""", "target.accuracyDrop", "strictly between 0 and 1")]
    [InlineData("fisher", """{"accuracyDrop": "1%"}""", "target.accuracyDrop", "must be a number")]
    [InlineData("fisher", """{"accuracyDrop": 0.01, "flops": [0.5, 0.25, 0.1]}""", "target", "takes no target.flops")]
    [InlineData("magnitude", """{"accuracyDrop": 0.01, "params": 0.5}""", "target", "takes no target.flops")]
    [InlineData("fisher", """{"accuracyDrop": 0.01, "agreementDrop": 0.01}""", "target", "not both")]
    [InlineData("fisher", """{"accuracyDrop": 0.01, "by": "latency"}""", "target.by", "\"flops\" or \"params\"")]
    [InlineData("fisher", """{"flops": 0.5, "by": "params"}""", "target.by", "needs target.accuracyDrop")]
    [InlineData("fisher", """{"accuracydrop": 0.01, "budget": 1}""", "target.budget", "Unknown target 'budget'")]
    public async Task A_target_plan_that_cannot_work_is_a_422_naming_the_problem(string method, string target, string field, string mention)
    {
        var response = await PostJobAsync(method, target);
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.Contains(mention, messages[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("""{"flops": [0.5, 0.25]}""", "target.flops")]
    [InlineData("""{"params": [0.5, 0.25]}""", "target.params")]
    [InlineData("""{"accuracyDrop": 0.01}""", "target.accuracyDrop")]
    public async Task Levels_and_budgets_of_l0_by_single_weights_are_a_422_since_weight_sparsity_changes_no_size(string target, string field)
    {
        var response = await PostJobAsync("l0", target, """{"granularity": "weight"}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("granularity \"channel\"", problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agreement_budget_on_a_job_that_does_not_distil_is_a_422_naming_the_objective()
    {
        var response = await PostJobAsync("fisher", """{"agreementDrop": 0.02}""", """{"objective": "labels"}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("objective 'labels' does not", problem.GetProperty("errors").GetProperty("target.agreementDrop")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_accuracy_budget_without_labels_or_a_class_output_is_a_422_and_an_agreement_budget_is_accepted()
    {
        var modelId = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.onnx")))).CreatedIdAsync();
        var unlabeled = await (await Client.UploadNpzAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("two_input_regression.npz")))).CreatedIdAsync();
        var lenet = await (await Client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_cnn.onnx")))).CreatedIdAsync();
        var images = Npz.Archive(Npz.Float32("input", [4, 1, 28, 28], new float[4 * 784]));
        var unlabeledImages = await (await Client.UploadNpzAsync(images, "images.npz")).CreatedIdAsync();

        await (await Client.CreateJobAsync(modelId, unlabeled, new { accuracyDrop = 0.01 }, method: "fisher"))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "target.accuracyDrop", $"dataset {unlabeled}", "has no labels", "agreementDrop");
        await (await Client.CreateJobAsync(lenet, unlabeledImages, new { accuracyDrop = 0.01 }, method: "magnitude"))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "has no labels");
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/jobs")).GetProperty("count").GetInt32());

        var accepted = await Client.CreateJobAsync(modelId, unlabeled, new { agreementDrop = 0.3 }, method: "fisher");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = await Client.GetJsonAsync($"/v1/jobs/{await accepted.CreatedIdAsync()}");
        Assert.Equal("""{"agreementDrop":0.3,"by":"flops"}""", job.GetProperty("target").GetRawText());
        await Client.PostAsync($"/v1/jobs/{job.GetProperty("id").GetGuid()}/cancel", null);
    }

    private Task<HttpResponseMessage> PostJobAsync(string method, string target, string options = "null")
    {
        var body = $$"""{"modelId":"{{Guid.NewGuid()}}","datasetId":"{{Guid.NewGuid()}}","method":"{{method}}","target":{{target}},"options":{{options}}}""";
        using var _ = JsonDocument.Parse(body); // the test's own body is valid JSON
        return Client.PostAsync("/v1/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
    }

    public void Dispose() => _api.Dispose();
}
