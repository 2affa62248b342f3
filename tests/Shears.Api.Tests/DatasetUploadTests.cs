using System.Net;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

public sealed class DatasetUploadTests : IDisposable
{
    private readonly ShearsApiFactory _api = new(extra: new Dictionary<string, string?> { ["Uploads:MaxDatasetFileBytes"] = "500000" });

    private HttpClient Client => _api.ClientFor(ShearsApiFactory.AlphaKey);

    [Fact]
    public async Task A_gzipped_IDX_pair_is_read_and_described()
    {
        var response = await Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels1k);
        var id = await response.CreatedIdAsync();
        Assert.Equal($"/v1/datasets/{id}", response.Headers.Location?.ToString());
        var dataset = await Client.GetJsonAsync($"/v1/datasets/{id}");
        Assert.Equal(1000, dataset.GetProperty("samples").GetInt32());
        Assert.Equal([28, 28], dataset.GetProperty("inputShape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(10, dataset.GetProperty("numClasses").GetInt32());
    }

    [Fact]
    public async Task Mismatched_counts_are_refused_with_422_and_nothing_is_kept()
    {
        var response = await Client.UploadDatasetAsync(ApiCalls.FashionImages1k, ApiCalls.FashionLabels2k);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "1,000 samples", "2,000 labels");
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_missing_part_is_a_400_that_names_it()
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(ApiCalls.FashionImages1k))), "inputs", ApiCalls.FashionImages1k },
        };
        var response = await Client.PostAsync("/v1/datasets", form);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "'labels'");
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_with_413()
    {
        // The 2k training images are ~1.1 MB gzipped, over the 500 kB limit of this test.
        var response = await Client.UploadDatasetAsync("fashion_train_2k-images-idx3-ubyte.gz", ApiCalls.FashionLabels2k);
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "500000");
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    public void Dispose() => _api.Dispose();
}
