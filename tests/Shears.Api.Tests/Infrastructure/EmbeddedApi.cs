namespace Shears.Api.Tests.Infrastructure;

/// <summary>One real Api process in embedded mode (SQLite, the alpha key) shared by a test class.</summary>
public sealed class EmbeddedApi : IAsyncLifetime
{
    private ApiProcess? _api;

    public ApiProcess Process => _api ?? throw new InvalidOperationException("Not started.");

    public HttpClient Client => Process.ClientFor(ShearsApiFactory.AlphaKey);

    public async Task InitializeAsync() => _api = await ApiProcess.StartEmbeddedAsync();

    public Task DisposeAsync()
    {
        _api?.Dispose();
        return Task.CompletedTask;
    }
}
