namespace Shears.Api.Tests.Fuzz;

/// <summary>What a fuzz input must get: anything but a 5xx (<see cref="Any"/>), or a refusal (a 4xx problem).</summary>
public enum Expectation
{
    Any,
    Refused,
    Accepted,
}

/// <summary>One generated request. <paramref name="Build"/> makes a fresh message each time (a message is sent once).</summary>
public sealed record FuzzCase(string Kind, string Label, Expectation Expectation, Func<HttpRequestMessage> Build);
