using System.Net;
using System.Text.Json;
using Shears.Api.Tests.Infrastructure;
using Shears.Testing;
using SkiaSharp;

namespace Shears.Api.Tests;

/// <summary>
/// Image archives as dataset uploads to a real Api process on PostgreSQL, over real HTTP: what the check reports, and the
/// archives it refuses with nothing kept.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ImageArchiveUploadTests(PostgresServer postgres) : IAsyncLifetime
{
    private ApiProcess _api = null!;

    private HttpClient Client { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiProcess.StartAsync(await postgres.CreateDatabaseAsync());
        Client = _api.ClientFor(ShearsApiFactory.AlphaKey);
    }

    [Fact]
    public async Task A_zip_of_png_and_jpeg_class_folders_is_described_from_the_image_headers()
    {
        var files = SyntheticImages.ClassFolders(3, 4, 40, 30, SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg);
        files[0] = (files[0].Path, SyntheticImages.Image(0, 50, 60, SKEncodedImageFormat.Png, 7));
        var response = await Client.UploadImageArchiveAsync(SyntheticImages.Zip(files), "shapes.zip");
        var id = await response.CreatedIdAsync();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(12, body.GetProperty("samples").GetInt32());
        Assert.Equal(3, body.GetProperty("numClasses").GetInt32());
        Assert.Empty(body.GetProperty("inputShape").EnumerateArray()); // two sizes: the job's preprocessing decides
        var images = body.GetProperty("images");
        Assert.Equal("classFolders", images.GetProperty("layout").GetString());
        Assert.Equal(["c0:4", "c1:4", "c2:4"], images.GetProperty("classes").EnumerateArray()
            .Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("images").GetInt32()}"));
        Assert.Equal(6, images.GetProperty("formats").GetProperty("png").GetInt32());
        Assert.Equal(6, images.GetProperty("formats").GetProperty("jpeg").GetInt32());
        var sizes = images.GetProperty("sizes");
        Assert.Equal([40, 30], sizes.GetProperty("minWidthHeight").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal([50, 60], sizes.GetProperty("maxWidthHeight").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(11, sizes.GetProperty("mostCommonImages").GetInt32());

        var stored = await Client.GetJsonAsync($"/v1/datasets/{id}");
        Assert.Equal(12, stored.GetProperty("samples").GetInt32());
        Assert.Single(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories)); // the archive, named twice by the row
    }

    [Fact]
    public async Task An_archive_with_a_dot_dot_entry_is_refused_naming_it_and_nothing_is_stored()
    {
        var files = SyntheticImages.ClassFolders(2, 2, 16, 16, SKEncodedImageFormat.Png);
        files.Add(("c0/../../escape.png", SyntheticImages.Image(0, 16, 16, SKEncodedImageFormat.Png, 3)));
        var response = await Client.UploadImageArchiveAsync(SyntheticImages.Tar(files, gzip: true), "escape.tgz");
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "'c0/../../escape.png'", "'..'");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_corrupt_image_is_refused_naming_it_unless_the_upload_asks_to_skip_it()
    {
        var files = SyntheticImages.ClassFolders(2, 3, 16, 16, SKEncodedImageFormat.Jpeg);
        files[4] = (files[4].Path, files[4].Data[..20]); // cut inside the JPEG header
        var archive = SyntheticImages.Zip(files);

        var refused = await Client.UploadImageArchiveAsync(archive, "broken.zip");
        await refused.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "'c1/0001.jpg'", "not a readable JPEG, PNG or WebP image");
        await AssertNothingStoredAsync();

        var skipped = await Client.UploadImageArchiveAsync(archive, "broken.zip", "skipBadImages=true");
        await skipped.CreatedIdAsync();
        var body = JsonDocument.Parse(await skipped.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(5, body.GetProperty("samples").GetInt32());
        Assert.Equal(1, body.GetProperty("images").GetProperty("skipped").GetInt32());
        Assert.Equal("c1/0001.jpg", body.GetProperty("images").GetProperty("skippedImages")[0].GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("c1/extra/deep.png", "'c1/extra/deep.png' is more than one folder deep")]
    [InlineData("loose.png", "'loose.png' is at the top level while other images are in class folders")]
    [InlineData("classes.txt", "every image is of the one class 'c0'")]
    public async Task An_archive_of_a_bad_layout_is_refused_naming_the_problem_and_nothing_is_stored(string extra, string problem)
    {
        var files = SyntheticImages.ClassFolders(extra == "classes.txt" ? 1 : 2, 2, 16, 16, SKEncodedImageFormat.Png);
        files.Add((extra, extra == "classes.txt" ? "c0\nc1\n"u8.ToArray() : SyntheticImages.Image(1, 16, 16, SKEncodedImageFormat.Png, 4)));
        var response = await Client.UploadImageArchiveAsync(SyntheticImages.Tar(files), "layout.tar");
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, problem, "the archive's layout is not one Shears reads");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_archive_sent_with_a_labels_part_is_refused()
    {
        var archive = SyntheticImages.Zip(SyntheticImages.ClassFolders(2, 1, 16, 16, SKEncodedImageFormat.Png));
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(archive), "inputs", "set.zip" },
            { new ByteArrayContent(File.ReadAllBytes(RepoPaths.Fixture(ApiCalls.FashionLabels1k))), "labels", ApiCalls.FashionLabels1k },
        };
        var response = await Client.PostAsync("/v1/datasets", form);
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "without a 'labels' part");
        await AssertNothingStoredAsync();
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, (await Client.GetJsonAsync("/v1/datasets")).GetProperty("count").GetInt32());
        Assert.Empty(Directory.EnumerateFiles(_api.ArtifactsPath, "*", SearchOption.AllDirectories));
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        _api.Dispose();
        return Task.CompletedTask;
    }
}
