using System.Globalization;
using System.Text.Json;

namespace Shears.Domain.Jobs;

/// <summary>
/// Reads a job's JSON <c>options</c> into <see cref="PruningOptions"/>: every known option with its type, range
/// and the methods it applies to; unknown names and wrong types are errors, not silently ignored.
/// </summary>
public static class PruningOptionsParser
{
    private delegate PruningOptions Setter<in T>(PruningOptions options, T value);

    /// <summary>How to read and check one option (returns the error message, or null when it was applied), and what it accepts.</summary>
    private sealed record Rule(OptionDescription Description, Func<PruningOptions, JsonElement, (PruningOptions Options, string? Error)> Apply)
    {
        public string Name => Description.Name;

        public IReadOnlyList<PruningMethod> Methods => Description.Methods;
    }

    /// <summary>Two options soften things with a temperature; the bare name is refused so neither is set by mistake.</summary>
    private const string AmbiguousTemperature = "temperature";

    private static readonly PruningMethod[] AllMethods = Enum.GetValues<PruningMethod>();

    private static readonly Rule[] Rules =
    [
        Number("epochs", 0, 10_000, false, (o, v) => o with { Epochs = v }),
        Integer("steps", 0, 100_000_000, (o, v) => o with { Steps = v }),
        Integer("checkpointEverySteps", 0, 100_000_000, (o, v) => o with { CheckpointEverySteps = v }),
        Integer("batchSize", 1, 65_536, (o, v) => o with { BatchSize = v }),
        Number("learningRate", 0, 10, true, (o, v) => o with { LearningRate = v }),
        Choice("optimizer", ["adam", "sgd"], (o, v) => o with { Optimizer = v }),
        Choice("schedule", ["constant", "cosine"], (o, v) => o with { Schedule = v }),
        Number("fineTuningLearningRate", 0, 10, true, (o, v) => o with { FineTuningLearningRate = v }),
        Number("minWidth", 0, 0.99, false, (o, v) => o with { MinWidth = v }),
        Number("validationFraction", 0, 0.9, true, (o, v) => o with { ValidationFraction = v }),
        Integer("seed", int.MinValue, int.MaxValue, (o, v) => o with { Seed = v }),
        Choice("device", ["auto", "cpu", "cuda"], (o, v) => o with { Device = v }),
        Number("inputScale", 0, 1e9, true, (o, v) => o with { InputScale = v }),
        Integer("imageSize", 1, 4096, (o, v) => o with { ImageSize = v }),
        Integer("resizeShorterSide", 1, 8192, (o, v) => o with { ResizeShorterSide = v }),
        Choice("channelOrder", ["rgb", "bgr"], (o, v) => o with { ChannelOrder = v }),
        Choice("normalize", ["none", "imagenet"], (o, v) => o with { Normalize = v }),
        Numbers("mean", -1e6, 1e6, false, (o, v) => o with { Mean = v }),
        Numbers("std", 0, 1e6, true, (o, v) => o with { Std = v }),
        Flag("augment", (o, v) => o with { Augment = v }),
        Choice("objective", ["labels", "distill", "both"], (o, v) => o with { Objective = v }),
        Number("distillTemperature", 0, 100, true, (o, v) => o with { DistillTemperature = v }),
        Number("distillWeight", 0, 1, false, (o, v) => o with { DistillWeight = v }),
        NumbersByName("outputWeights", 0, 1e6, (o, v) => o with { OutputWeights = v }),
        ChoicesByName("outputKinds", [Graph.OutputKinds.Classes, Graph.OutputKinds.Values], (o, v) => o with { OutputKinds = v }),
        Number("beta", 0, 1e9, false, (o, v) => o with { Beta = v }, PruningMethod.Fisher),
        Integer("stepsPerPrune", 1, 1_000_000, (o, v) => o with { StepsPerPrune = v }, PruningMethod.Fisher),
        Integer("channelsPerPrune", 1, 1_000_000, (o, v) => o with { ChannelsPerPrune = v }, PruningMethod.Fisher),
        Choice("cost", ["target", "latency", "traffic"], (o, v) => o with { Cost = v }, PruningMethod.Fisher),
        Integer("channelMultiple", 1, 4096, (o, v) => o with { ChannelMultiple = v }),
        Number("lambda", 0, 1e9, false, (o, v) => o with { Lambda = v }, PruningMethod.L0),
        Choice("granularity", ["channel", "weight"], (o, v) => o with { Granularity = v }, PruningMethod.L0),
        Number("droprateInit", 0, 1, true, (o, v) => o with { DroprateInit = v }, PruningMethod.L0),
        Number("gateTemperature", 0, 100, true, (o, v) => o with { GateTemperature = v }, PruningMethod.L0),
        Choice("norm", ["l1", "l2"], (o, v) => o with { Norm = v }, PruningMethod.Magnitude),
        Choice("scope", ["global", "layer"], (o, v) => o with { Scope = v }, PruningMethod.Magnitude),
    ];

    /// <summary>Every option name the parser knows, for documentation and error messages.</summary>
    public static IEnumerable<string> OptionNames => Rules.Select(r => r.Name);

    /// <summary>What every option accepts, from the same table the parser checks against (the API's schema is built from it).</summary>
    public static IEnumerable<OptionDescription> Options => Rules.Select(r => r.Description);

    /// <summary>Parses <paramref name="json"/> (an object, or absent for all defaults); errors are keyed by option name.</summary>
    public static (PruningOptions Options, IReadOnlyList<(string Name, string Message)> Errors) Parse(PruningMethod method, JsonElement? json)
    {
        var options = new PruningOptions();
        var errors = new List<(string, string)>();
        if (json is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } element)
        {
            return (options, errors);
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(("", "options must be a JSON object, e.g. {\"epochs\": 1}."));
            return (options, errors);
        }
        foreach (var property in element.EnumerateObject())
        {
            var rule = Rules.FirstOrDefault(r => string.Equals(r.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (rule is null)
            {
                errors.Add((property.Name, string.Equals(property.Name, AmbiguousTemperature, StringComparison.OrdinalIgnoreCase)
                    ? "Option 'temperature' could mean two things; say which: 'gateTemperature' (l0's hard-concrete β, default 2/3) or " +
                      "'distillTemperature' (how much distillation softens class scores, default 4)."
                    : $"Unknown option '{property.Name}'. Known options: {string.Join(", ", OptionNames)}."));
                continue;
            }
            if (!rule.Methods.Contains(method))
            {
                errors.Add((rule.Name, $"Option '{rule.Name}' applies to {string.Join("/", rule.Methods.Select(m => m.ToWire()))} only, not to {method.ToWire()}."));
                continue;
            }
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue; // null keeps the default
            }
            var (applied, error) = rule.Apply(options, property.Value);
            if (error is null)
            {
                options = applied;
            }
            else
            {
                errors.Add((rule.Name, error));
            }
        }
        return (options, errors);
    }

    private static Rule Number(string name, double min, double max, bool minExclusive, Setter<double> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.Number, min, max, minExclusive, []), (options, value) =>
        {
            var lower = minExclusive ? $"greater than {Format(min)}" : $"at least {Format(min)}";
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                return (options, $"'{name}' must be a number ({lower} and at most {Format(max)}); got {Describe(value)}.");
            }
            var inRange = (minExclusive ? number > min : number >= min) && number <= max;
            return inRange ? (set(options, number), null) : (options, $"'{name}' is {Format(number)}; it must be {lower} and at most {Format(max)}.");
        });

    private static Rule Integer(string name, int min, int max, Setter<int> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.WholeNumber, min, max, false, []), (options, value) =>
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
            {
                return (options, $"'{name}' must be a whole number from {min} to {max}; got {Describe(value)}.");
            }
            return number >= min && number <= max
                ? (set(options, (int)number), null)
                : (options, $"'{name}' is {number}; it must be from {min} to {max}.");
        });

    private static Rule Choice(string name, string[] choices, Setter<string> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.Choice, null, null, false, choices), (options, value) =>
        {
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()!.ToLowerInvariant() : null;
            return text is not null && choices.Contains(text)
                ? (set(options, text), null)
                : (options, $"'{name}' must be one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}; got {Describe(value)}.");
        });

    /// <summary>One number or a list of 1 to 4 (per channel), each in range.</summary>
    private static Rule Numbers(string name, double min, double max, bool minExclusive, Setter<double[]> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.Numbers, min, max, minExclusive, []), (options, value) =>
        {
            var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
            var numbers = items.Select(i => i.ValueKind == JsonValueKind.Number && i.TryGetDouble(out var n) && double.IsFinite(n) ? n : (double?)null).ToList();
            var lower = minExclusive ? $"greater than {Format(min)}" : $"at least {Format(min)}";
            var valid = numbers.Count is >= 1 and <= 4 && numbers.All(n => n is { } x && (minExclusive ? x > min : x >= min) && x <= max);
            return valid
                ? (set(options, [.. numbers.Select(n => n!.Value)]), null)
                : (options, $"'{name}' must be a number or a list of 1 to 4 numbers (one per channel), each {lower} and at most {Format(max)}; got {Describe(value)}.");
        });

    private static Rule Flag(string name, Setter<bool> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.Flag, null, null, false, []), (options, value) => value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? (set(options, value.GetBoolean()), null)
            : (options, $"'{name}' must be true or false; got {Describe(value)}."));

    /// <summary>An object of names to numbers in [min, max] (names are checked against the network at submission).</summary>
    private static Rule NumbersByName(string name, double min, double max, Setter<IReadOnlyDictionary<string, double>> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.NumbersByName, min, max, false, []), (options, value) =>
        {
            var expected = $"'{name}' must be an object of output names to numbers from {Format(min)} to {Format(max)}, e.g. {{\"logits\": 1, \"box\": 0.5}}";
            if (value.ValueKind != JsonValueKind.Object)
            {
                return (options, $"{expected}; got {Describe(value)}.");
            }
            var numbers = new Dictionary<string, double>();
            foreach (var entry in value.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var number) || !double.IsFinite(number) || number < min || number > max)
                {
                    return (options, $"{expected}; '{entry.Name}' is {Describe(entry.Value)}.");
                }
                numbers[entry.Name] = number;
            }
            return (set(options, numbers), null);
        });

    /// <summary>An object of names to one of <paramref name="choices"/> (names are checked against the network at submission).</summary>
    private static Rule ChoicesByName(string name, string[] choices, Setter<IReadOnlyDictionary<string, string>> set, params PruningMethod[] methods)
        => new(new OptionDescription(name, MethodsOrAll(methods), OptionKind.ChoicesByName, null, null, false, choices), (options, value) =>
        {
            var expected = $"'{name}' must be an object of output names to one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}, e.g. {{\"embedding\": \"{choices[^1]}\"}}";
            if (value.ValueKind != JsonValueKind.Object)
            {
                return (options, $"{expected}; got {Describe(value)}.");
            }
            var chosen = new Dictionary<string, string>();
            foreach (var entry in value.EnumerateObject())
            {
                var text = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()!.ToLowerInvariant() : null;
                if (text is null || !choices.Contains(text))
                {
                    return (options, $"{expected}; '{entry.Name}' is {Describe(entry.Value)}.");
                }
                chosen[entry.Name] = text;
            }
            return (set(options, chosen), null);
        });

    private static PruningMethod[] MethodsOrAll(PruningMethod[] methods) => methods.Length == 0 ? AllMethods : methods;

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the text \"{value.GetString()}\"",
        JsonValueKind.Number or JsonValueKind.Array => value.GetRawText(),
        _ => $"a JSON {value.ValueKind.ToString().ToLowerInvariant()}",
    };
}
