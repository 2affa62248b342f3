using System.Net;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Faults;

/// <summary>
/// An Api given a bucket the server does not have, or credentials it refuses (a real s3rver on loopback): the start log
/// and /readyz say which, and an upload is a 503 problem (not a 500) that leaves nothing in the bucket. With the right
/// settings /readyz is ready.
/// </summary>
public sealed class ObjectStorageMisconfigurationTests : IAsyncLifetime
{
    private S3Server _s3 = null!;

    public async Task InitializeAsync() => _s3 = await S3Server.StartAsync();

    public async Task DisposeAsync() => await _s3.DisposeAsync();

    [Theory]
    [InlineData("Artifacts__S3__Bucket", "absent", "has no such bucket: create it, or set Artifacts:S3:Bucket")]
    // s3rver checks the access key but not a SigV4 signature, so a wrong secret key is not seen by it (AWS says SignatureDoesNotMatch).
    [InlineData("Artifacts__S3__AccessKey", "WRONG", "refused the credentials or the request (InvalidAccessKeyId")]
    public async Task A_missing_bucket_or_refused_credentials_is_said_at_start_and_in_readiness_and_an_upload_is_a_503(string key, string value,
        string reason)
    {
        using var api = await ApiProcess.StartEmbeddedAsync(new Dictionary<string, string>(_s3.Settings) { [key] = value });
        using var client = api.ClientFor(ShearsApiFactory.AlphaKey);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!api.Process.Output.Contains("The artifact store cannot be used", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.True(api.Process.Output.Contains(reason, StringComparison.Ordinal), api.Process.Output);

        using var ready = await client.GetAsync("/readyz");
        var readiness = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.StartsWith("Unhealthy\nartifacts: The artifact store (bucket '", readiness, StringComparison.Ordinal);
        Assert.Contains(reason, readiness, StringComparison.Ordinal);

        using var upload = await client.UploadModelAsync(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")));
        var problem = await upload.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, upload.StatusCode);
        Assert.Equal("application/problem+json", upload.Content.Headers.ContentType?.MediaType);
        Assert.Contains("The artifact store is unavailable.", problem, StringComparison.Ordinal);
        Assert.Contains("/readyz", problem, StringComparison.Ordinal);
        Assert.Empty(await _s3.KeysAsync());
    }

    [Fact]
    public async Task With_the_right_bucket_and_credentials_the_Api_is_ready()
    {
        using var api = await ApiProcess.StartEmbeddedAsync(_s3.Settings);
        using var ready = await api.ClientFor(null).GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }
}
