namespace Shears.Api.Tests.Infrastructure;

/// <summary>Skip reasons for tests that wait for another helper's work to land on main.</summary>
internal static class Pending
{
    public const string Inspector = "Waits for ModelInspector.Inspect (domain work) to land.";
}
