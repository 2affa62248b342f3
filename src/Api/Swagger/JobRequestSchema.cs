using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Shears.Domain.Jobs;

namespace Shears.Api.Swagger;

/// <summary>
/// The schema of <c>POST /v1/jobs</c>, built from the tables the request is checked against (<see cref="JobRequestParser"/>'s
/// fields, <see cref="PruningMethodNames"/>, <see cref="PruningOptionsParser.Options"/>), so an option added to the parser
/// appears here without anyone touching this file.
/// </summary>
public static class JobRequestSchema
{
    public static OpenApiSchema Build() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A pruning job. Unknown fields are refused (422), as are unknown options.",
        AdditionalPropertiesAllowed = false,
        Required = new HashSet<string>(JobRequestParser.RequiredFields),
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            [JobRequestParser.ModelId] = Id("The model to prune (POST /v1/models answers with its id)."),
            [JobRequestParser.DatasetId] = Id("The data to fine-tune and measure on, with or without labels (POST /v1/datasets answers with its id)."),
            [JobRequestParser.EvalDatasetId] = Id("Optional: a dataset every before/after figure is measured on (same format rules as datasetId); " +
                "without it the figures come from the validationFraction slice of datasetId. The result's evaluatedOn says which."),
            [JobRequestParser.Method] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = PruningMethodNames.All.Select(m => (JsonNode)JsonValue.Create(m)!).ToList(),
                Description = "How channels are scored and picked.",
            },
            [JobRequestParser.Target] = Target(),
            [JobRequestParser.Options] = Options(),
        },
    };

    private static OpenApiSchema Id(string description) => new() { Type = JsonSchemaType.String, Format = "uuid", Description = description };

    private static OpenApiSchema Target() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "What to keep. flops and/or params: fractions of the original cost to keep (0 < f < 1), or one of them as a list of " +
            "levels (fisher, magnitude: one network per level from one trajectory). Or a budget, the smallest network whose held-out figure " +
            "after fine-tuning is within the drop, smallest by flops or by params (\"by\"): accuracyDrop, held-out accuracy at least the " +
            "original's minus the drop (needs labels and one [N, C] class output); or agreementDrop, agreement with the original network " +
            "(no labels needed; not with objective labels): every class output [N, C] agrees with the original's top-1 on at least " +
            "1 - drop of the held-out rows, every other output within a relative error ||s - t||/||t|| of the drop. " +
            "Required unless an l0 job gives options.lambda.",
        AdditionalPropertiesAllowed = false,
        Properties = JobRequestParser.TargetFields.ToDictionary(name => name, TargetField),
    };

    private static IOpenApiSchema TargetField(string name)
    {
        var fraction = new OpenApiSchema { Type = JsonSchemaType.Number, ExclusiveMinimum = "0", ExclusiveMaximum = "1" };
        return name switch
        {
            "by" => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = Enum.GetNames<CostMetric>().Select(m => (JsonNode)JsonValue.Create(m.ToLowerInvariant())!).ToList(),
                Description = "With a budget: the cost to make smallest (default flops).",
            },
            "flops" or "params" => new OpenApiSchema
            {
                Description = "One fraction to keep, or a list of levels.",
                AnyOf = [fraction, new OpenApiSchema { Type = JsonSchemaType.Array, Items = fraction, MinItems = 1, MaxItems = TargetLevels.MaxCount }],
            },
            "accuracyDrop" => new OpenApiSchema
            {
                Type = JsonSchemaType.Number,
                ExclusiveMinimum = "0",
                ExclusiveMaximum = "1",
                Description = "A budget: the largest drop of held-out accuracy from the original's (0.01: one point). Needs labels.",
            },
            "agreementDrop" => new OpenApiSchema
            {
                Type = JsonSchemaType.Number,
                ExclusiveMinimum = "0",
                ExclusiveMaximum = "1",
                Description = "A budget: the largest shortfall from the original network, per output 1 - top-1 agreement (class outputs [N, C]) " +
                    "or the relative error (other outputs). Needs no labels.",
            },
            _ => fraction,
        };
    }

    private static OpenApiSchema Options() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "Method options, all optional; null keeps an option's default. An unknown option, a wrong type, an out-of-range value " +
            "or an option of another method is refused (422) naming it.",
        AdditionalPropertiesAllowed = false,
        Properties = PruningOptionsParser.Options.ToDictionary(option => option.Name, IOpenApiSchema (option) => Option(option)),
    };

    private static OpenApiSchema Option(OptionDescription option)
    {
        var methods = option.Methods.Count == PruningMethodNames.All.Count ? "all methods" : $"{string.Join(", ", option.Methods.Select(m => m.ToWire()))} only";
        var schema = new OpenApiSchema
        {
            Type = option.Kind switch
            {
                OptionKind.Number => JsonSchemaType.Number | JsonSchemaType.Null,
                OptionKind.WholeNumber => JsonSchemaType.Integer | JsonSchemaType.Null,
                OptionKind.Numbers => JsonSchemaType.Number | JsonSchemaType.Null, // or an array of them: AnyOf below
                OptionKind.Flag => JsonSchemaType.Boolean | JsonSchemaType.Null,
                OptionKind.NumbersByName or OptionKind.ChoicesByName => JsonSchemaType.Object | JsonSchemaType.Null, // its values: below
                _ => JsonSchemaType.String | JsonSchemaType.Null,
            },
            Description = $"For {methods}.",
        };
        if (option.Kind == OptionKind.Choice)
        {
            schema.Enum = option.Choices.Select(c => (JsonNode)JsonValue.Create(c)!).ToList();
        }
        if (option.Minimum is { } minimum)
        {
            if (option.MinimumExclusive)
            {
                schema.ExclusiveMinimum = Text(minimum);
            }
            else
            {
                schema.Minimum = Text(minimum);
            }
        }
        if (option.Maximum is { } maximum)
        {
            schema.Maximum = Text(maximum);
        }
        return option.Kind switch
        {
            OptionKind.Numbers => OneOrPerChannel(schema),
            OptionKind.NumbersByName => ByName(schema),
            OptionKind.ChoicesByName => ChoiceByName(schema, option.Choices),
            _ => schema,
        };
    }

    /// <summary>An object whose every property is a number in the option's range, e.g. a weight per graph output name.</summary>
    private static OpenApiSchema ByName(OpenApiSchema number) => new()
    {
        Type = JsonSchemaType.Object | JsonSchemaType.Null,
        Description = number.Description + " An object of names to numbers, e.g. {\"logits\": 1, \"box\": 0.5}.",
        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = number.Minimum, Maximum = number.Maximum },
    };

    /// <summary>An object whose every property is one of the choices, e.g. a kind per graph output name.</summary>
    private static OpenApiSchema ChoiceByName(OpenApiSchema schema, IReadOnlyList<string> choices) => new()
    {
        Type = JsonSchemaType.Object | JsonSchemaType.Null,
        Description = schema.Description + $" An object of names to one of {string.Join(", ", choices)}, e.g. {{\"embedding\": \"{choices[^1]}\"}}.",
        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. choices.Select(c => (JsonNode)JsonValue.Create(c)!)] },
    };

    /// <summary>One number, or a list of 1 to 4 of them (one per image channel).</summary>
    private static OpenApiSchema OneOrPerChannel(OpenApiSchema number) => new()
    {
        Description = number.Description + " One number, or a list of 1 to 4 (one per channel).",
        AnyOf = [number, new OpenApiSchema { Type = JsonSchemaType.Array, Items = number, MinItems = 1, MaxItems = 4 }],
    };

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
