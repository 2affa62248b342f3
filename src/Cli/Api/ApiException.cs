using System.Net;
using System.Text;
using System.Text.Json;

namespace Shears.Cli.Api;

/// <summary>The service answered with an error; <see cref="Exception.Message"/> is its problem-details message.</summary>
public sealed class ApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public static async Task<ApiException> FromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = (int)response.StatusCode;
        return new ApiException(response.StatusCode, $"{status} {response.ReasonPhrase}: {ProblemText(body)}".TrimEnd(' ', ':'));
    }

    /// <summary>
    /// Title, detail and validation errors of an RFC 7807 body; when it is not one (a proxy's HTML page), its first
    /// non-empty line, cut at 200 characters, so an error stays one line.
    /// </summary>
    private static string FirstLine(string body)
    {
        var line = body.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return line.Length <= 200 ? line : line[..200] + "…";
    }

    private static string ProblemText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var text = new StringBuilder();
            foreach (var field in new[] { "title", "detail" })
            {
                if (root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    text.Append(value.GetString()).Append(' ');
                }
            }
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var error in errors.EnumerateObject())
                {
                    text.AppendLine().Append("  ").Append(error.Name).Append(": ").Append(string.Join(" ", error.Value.EnumerateArray().Select(e => e.GetString())));
                }
            }
            return text.ToString().Trim();
        }
        catch (JsonException)
        {
            return FirstLine(body);
        }
    }
}
