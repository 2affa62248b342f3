using System.Net;
using System.Net.Http.Headers;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

public sealed class ModelUploadTests : IDisposable
{
    private readonly ShearsApiFactory _api = new(extra: new Dictionary<string, string?> { ["Uploads:MaxModelBytes"] = "60000" });

    private HttpClient Client => _api.ClientFor(ShearsApiFactory.AlphaKey);

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_from_its_length()
    {
        var response = await Client.UploadModelAsync(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx")));
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "60000");
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_with_413_while_streaming()
    {
        var content = new StreamContent(new UnknownLengthStream(File.ReadAllBytes(RepoPaths.Fixture("tiny_mlp.onnx"))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await Client.PostAsync("/v1/models", content);
        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "60000");
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_malformed_file_is_refused_with_422()
    {
        var response = await Client.UploadModelAsync("this is not a protobuf"u8.ToArray());
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_truncated_file_is_refused_with_422()
    {
        var onnx = File.ReadAllBytes(RepoPaths.Fixture("tiny_cnn.onnx"));
        var response = await Client.UploadModelAsync(onnx[..(onnx.Length / 2)]);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task A_model_with_an_unsupported_operator_is_refused_with_422_naming_it()
    {
        var response = await Client.UploadModelAsync(File.ReadAllBytes(RepoPaths.Fixture("unsupported_op.onnx")));
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "TopK");
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_supported_model_is_inspected_kept_and_downloadable()
    {
        var onnx = File.ReadAllBytes(RepoPaths.Fixture("tiny_cnn.onnx"));
        var response = await Client.UploadModelAsync(onnx, "cnn");
        var id = await response.CreatedIdAsync();
        var model = await Client.GetJsonAsync($"/v1/models/{id}");
        Assert.Equal("cnn", model.GetProperty("name").GetString());
        Assert.Equal(onnx.Length, model.GetProperty("sizeBytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(onnx)), model.GetProperty("sha256").GetString());
        var inspection = model.GetProperty("inspection");
        Assert.Equal(7106, inspection.GetProperty("params").GetInt64()); // tests/fixtures/fixtures.json
        Assert.True(inspection.GetProperty("flops").GetInt64() > 0);
        Assert.True(inspection.GetProperty("prunableGroups").GetInt32() > 0);
        Assert.Equal(onnx, await Client.GetByteArrayAsync($"/v1/models/{id}/content"));

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/models/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/v1/models/{id}")).StatusCode);
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_model_can_also_come_as_the_multipart_part_file()
    {
        var onnx = File.ReadAllBytes(RepoPaths.Fixture("tiny_cnn.onnx"));
        var form = new MultipartFormDataContent { { new ByteArrayContent(onnx), "file", "../../my net.onnx" } };
        var id = await (await Client.PostAsync("/v1/models", form)).CreatedIdAsync();
        var model = await Client.GetJsonAsync($"/v1/models/{id}");
        Assert.Equal("my net.onnx", model.GetProperty("name").GetString()); // a bare label, never a path
        Assert.Equal(onnx, await Client.GetByteArrayAsync($"/v1/models/{id}/content"));
    }

    public void Dispose() => _api.Dispose();

    /// <summary>A body whose length the client cannot know in advance, so it is sent chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
