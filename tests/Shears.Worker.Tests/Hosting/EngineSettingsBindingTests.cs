using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Shears.Worker.Engine;
using Shears.Worker.Hosting;

namespace Shears.Worker.Tests.Hosting;

public sealed class EngineSettingsBindingTests
{
    [Fact]
    public void The_Engine_section_reaches_the_engine_settings_a_job_server_uses()
    {
        using var provider = JobServerServices(new() { ["Engine:Threads"] = "1", ["Engine:LatencyRounds"] = "9" });

        Assert.Equal(new EngineSettings(Threads: 1, LatencyRepeats: 15, LatencyRounds: 9), provider.GetRequiredService<EngineSettings>());
    }

    [Fact]
    public void Without_an_Engine_section_the_defaults_apply()
    {
        using var provider = JobServerServices([]);

        Assert.Equal(new EngineSettings(), provider.GetRequiredService<EngineSettings>());
    }

    private static ServiceProvider JobServerServices(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddShearsJobServer(["cpu"]);
        return services.BuildServiceProvider();
    }
}
