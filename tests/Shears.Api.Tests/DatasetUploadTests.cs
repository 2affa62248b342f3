using System.Net;
using Shears.Api.Tests.Infrastructure;
using Shears.Testing;

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
    public async Task A_missing_inputs_part_is_a_400_that_names_it()
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(ApiCalls.FashionLabels1k))), "labels", ApiCalls.FashionLabels1k },
        };
        var response = await Client.PostAsync("/v1/datasets", form);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "'inputs'");
    }

    [Fact]
    public async Task Images_without_labels_are_a_dataset_without_labels()
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(ApiCalls.FashionImages1k))), "inputs", ApiCalls.FashionImages1k },
        };
        var dataset = await Client.GetJsonAsync($"/v1/datasets/{await (await Client.PostAsync("/v1/datasets", form)).CreatedIdAsync()}");
        Assert.False(dataset.GetProperty("hasLabels").GetBoolean());
        Assert.Equal(0, dataset.GetProperty("numClasses").GetInt32());
        var array = Assert.Single(dataset.GetProperty("arrays").EnumerateArray());
        Assert.Equal("uint8", array.GetProperty("elementType").GetString());
    }

    [Theory]
    [InlineData("data.npz")]
    [InlineData("data.safetensors")]
    public async Task A_file_of_named_arrays_is_described_array_by_array_with_its_labels(string fileName)
    {
        var (ids, side, labels) = (Npz.Int64("input_ids", [3, 4], [.. Enumerable.Range(1, 12).Select(i => (long)i)]),
            Npz.Float32("side", [3, 2], [0.5f, 1, 2, 3, 4, 5]), Npz.Int64("labels", [3], [2, 0, 1]));
        var file = fileName.EndsWith(".npz", StringComparison.Ordinal)
            ? Npz.Archive(ids, side, labels)
            : Safetensors.File(("input_ids", "I64", ids.Shape, ids.Data), ("side", "F32", side.Shape, side.Data), ("labels", "I64", labels.Shape, labels.Data));
        var dataset = await Client.GetJsonAsync($"/v1/datasets/{await (await Client.UploadNpzAsync(file, fileName)).CreatedIdAsync()}");

        Assert.Equal(3, dataset.GetProperty("samples").GetInt32());
        Assert.True(dataset.GetProperty("hasLabels").GetBoolean());
        Assert.Equal(3, dataset.GetProperty("numClasses").GetInt32());
        var arrays = dataset.GetProperty("arrays").EnumerateArray()
            .Select(a => $"{a.GetProperty("name").GetString()} {a.GetProperty("elementType").GetString()} [{string.Join(",", a.GetProperty("sampleShape").EnumerateArray())}]");
        Assert.Equal(["input_ids int64 [4]", "side float32 [2]"], arrays);
    }

    [Theory]
    [InlineData("F16", 2, "F16")]
    [InlineData("F32", 3, "does not fit")]
    public async Task A_safetensors_file_with_an_unreadable_tensor_is_refused_with_422_and_nothing_is_kept(string dtype, int bytesPerValue, string mention)
    {
        var file = Safetensors.File(("image", dtype, [2, 2], new byte[4 * bytesPerValue]));
        var response = await Client.UploadNpzAsync(file, "data.safetensors");

        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "'image'", mention);
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_npz_with_an_object_array_is_refused_with_422_and_nothing_is_kept()
    {
        // What numpy.savez writes for an array of Python objects: dtype '|O' and a pickle as the data.
        var npz = Npz.Archive(
            Npz.Float32("image", [2, 2], [1, 2, 3, 4]),
            new Npz.Member("tokens", "|O", [2], [0x80, 0x04, 0x95, 0x00, 0x2E]));
        var response = await Client.UploadNpzAsync(npz);

        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "tokens", "objects", "pickle");
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
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
