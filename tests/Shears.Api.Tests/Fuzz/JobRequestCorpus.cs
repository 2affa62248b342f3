using System.Text;
using System.Text.Json.Nodes;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// <c>POST /v1/jobs</c> bodies made from a valid request by swapping one or more values for ones of the wrong type
/// or out of range, adding unknown or deeply nested members, or breaking the JSON text itself.
/// </summary>
internal sealed class JobRequestCorpus(Random random, Guid modelId, Guid datasetId)
{
    private static readonly string[] OptionNames =
    [
        "epochs", "steps", "batchSize", "learningRate", "optimizer", "validationFraction", "seed", "device", "inputScale",
        "beta", "stepsPerPrune", "lambda", "granularity", "droprateInit", "gateTemperature", "norm", "scope", "checkpointEverySteps", "colour",
    ];

    private static readonly string[] Fields = ["modelId", "datasetId", "method", "target", "options"];

    private static readonly string[] Methods = ["magnitude", "fisher", "l0", "MAGNITUDE", "", "l0 ", "../fisher"];

    public IEnumerable<FuzzCase> Cases(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next();
        }
    }

    private FuzzCase Next()
    {
        var body = new JsonObject
        {
            ["modelId"] = modelId.ToString(),
            ["datasetId"] = datasetId.ToString(),
            ["method"] = Methods[random.Next(3)],
            ["target"] = new JsonObject { ["flops"] = 0.5 },
            ["options"] = new JsonObject { ["epochs"] = 0.01, ["batchSize"] = 10 },
        };
        var mutations = random.Next(1, 4);
        for (var i = 0; i < mutations; i++)
        {
            Mutate(body);
        }
        var text = body.ToJsonString();
        var (label, bytes, contentType) = random.Next(10) switch
        {
            0 => ("broken json", Encoding.UTF8.GetBytes(text[..random.Next(text.Length)]), "application/json"),
            1 => ("trailing garbage", Encoding.UTF8.GetBytes(text + "}{,"), "application/json"),
            2 => ("deep nesting", Encoding.UTF8.GetBytes(DeepNesting(random.Next(65, 20_000))), "application/json"),
            3 => ("wrong content type", Encoding.UTF8.GetBytes(text), random.Next(2) == 0 ? "text/plain" : "application/x-www-form-urlencoded"),
            4 => ("not utf-8", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)], "application/json"),
            _ => ("mutated values", Encoding.UTF8.GetBytes(text), "application/json"),
        };
        return new FuzzCase("job", label, Expectation.Any, () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            return new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = content };
        });
    }

    private void Mutate(JsonObject body)
    {
        switch (random.Next(6))
        {
            case 0:
                ObjectAt(body, "options")[OptionNames[random.Next(OptionNames.Length)]] = OddValue();
                break;
            case 1:
                ObjectAt(body, "target")[random.Next(3) == 0 ? "params" : "flops"] = OddValue();
                break;
            case 2:
                body[Fields[random.Next(Fields.Length)]] = OddValue();
                break;
            case 3:
                body.Remove(Fields[random.Next(Fields.Length)]);
                break;
            case 4:
                body["method"] = Methods[random.Next(Methods.Length)];
                break;
            default:
                body[$"extra{random.Next(100)}"] = OddValue();
                break;
        }
    }

    /// <summary>The object member <paramref name="name"/>, made an object again if an earlier mutation replaced it.</summary>
    private static JsonObject ObjectAt(JsonObject body, string name)
    {
        if (body[name] is not JsonObject member)
        {
            member = [];
            body[name] = member;
        }
        return member;
    }

    private JsonNode? OddValue() => random.Next(22) switch
    {
        0 => null,
        1 => true,
        2 => -1,
        3 => 0,
        4 => 1,
        5 => 1.5,
        6 => 1e308,
        7 => -1e308,
        8 => 5e-324,
        9 => JsonNode.Parse("123456789012345678901234567890"),
        10 => JsonNode.Parse("1e400"),
        11 => "NaN",
        12 => "Infinity",
        13 => "",
        14 => new string('a', random.Next(1, 100_000)),
        15 => new JsonArray(1, 2, 3),
        16 => new JsonObject(),
        17 => new JsonObject { ["flops"] = 0.25, ["params"] = -0.25 },
        18 => SeededGuid().ToString(),
        19 => "00000000-0000-0000-0000-000000000000",
        20 => int.MaxValue,
        _ => long.MinValue,
    };

    private Guid SeededGuid()
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static string DeepNesting(int depth) => "{\"options\":" + new string('[', depth) + new string(']', depth) + "}";
}
