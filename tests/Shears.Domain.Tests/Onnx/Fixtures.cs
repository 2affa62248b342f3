using System.Text.Json;
using Shears.Domain.Onnx;

namespace Shears.Domain.Tests.Onnx;

/// <summary>The committed fixture networks under tests/fixtures and their facts from fixtures.json.</summary>
internal static class Fixtures
{
    public static string Directory { get; } = FindDirectory();

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static bool Exists(string file) => File.Exists(PathOf(file));

    public static byte[] Bytes(string file) => File.ReadAllBytes(PathOf(file));

    public static OnnxGraph Graph(string file) => OnnxGraph.Parse(Bytes(file));

    /// <summary>PyTorch's parameter count for a network, recorded when the fixture was made.</summary>
    public static long Params(string network)
    {
        using var facts = JsonDocument.Parse(File.ReadAllText(PathOf("fixtures.json")));
        return facts.RootElement.GetProperty("networks").GetProperty(network).GetProperty("params").GetInt64();
    }

    /// <summary>The files of the single-input networks tools/make_fixtures.py made (fixtures.json "networks").</summary>
    public static IEnumerable<string> SingleInputNetworkFiles()
    {
        using var facts = JsonDocument.Parse(File.ReadAllText(PathOf("fixtures.json")));
        return [.. facts.RootElement.GetProperty("networks").EnumerateObject().Select(n => n.Value.GetProperty("file").GetString()!)];
    }

    private static string FindDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above the test binaries.");
    }
}
