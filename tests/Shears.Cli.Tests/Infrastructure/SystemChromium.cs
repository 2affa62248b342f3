using Microsoft.Playwright;

namespace Shears.Cli.Tests.Infrastructure;

/// <summary>
/// Debian's headless Chromium driven by Playwright (Playwright's own browser download does not work here;
/// scripts/test.sh installs the <c>chromium</c> package).
/// </summary>
internal static class SystemChromium
{
    public const string Path = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Path,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }
}
