using System.Text.Json;

namespace Shears.Domain.Jobs;

/// <summary>
/// Turns the method, target and options of a job request into a <see cref="JobSpec"/>, or throws
/// <see cref="InvalidJobSpecException"/> listing everything that is wrong at once.
/// </summary>
public static class JobSpecParser
{
    public static JobSpec Parse(string? method, PruningTarget? target, JsonElement? options)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PruningMethodNames.TryParse(method, out var pruningMethod))
        {
            errors["method"] = [$"Unknown method '{method}'. Use one of: {string.Join(", ", PruningMethodNames.All)}."];
        }
        var parsedOptions = new PruningOptions();
        if (errors.Count == 0)
        {
            var (value, optionErrors) = PruningOptionsParser.Parse(pruningMethod, options);
            parsedOptions = value;
            foreach (var (name, message) in optionErrors)
            {
                errors[$"options.{name}"] = [message];
            }
        }
        // L0 without a target trains with the given λ and keeps whatever its gates decide (the paper's setting).
        var targetOptional = pruningMethod == PruningMethod.L0 && parsedOptions.Lambda is not null;
        var targetErrors = TargetErrors(target, targetOptional);
        if (targetErrors.Length > 0)
        {
            errors["target"] = targetErrors;
        }
        if (pruningMethod == PruningMethod.L0 && parsedOptions.Granularity == "weight" && target?.Flops is not null)
        {
            errors["target.flops"] = ["granularity \"weight\" zeroes single weights in tensors that keep their shape, so dense kernels do the same FLOPs; give target.params instead."];
        }
        if (errors.Count > 0)
        {
            throw new InvalidJobSpecException(errors);
        }
        return new JobSpec(pruningMethod, target ?? new PruningTarget(null, null), parsedOptions);
    }

    private static string[] TargetErrors(PruningTarget? target, bool optional)
    {
        if (target is null || (target.Flops is null && target.Params is null))
        {
            return optional ? [] : ["Give a target: {\"flops\": f} and/or {\"params\": f}, the fraction of the original cost to keep (0 < f < 1) (an l0 job may give options.lambda instead)."];
        }
        return new[] { ("flops", target.Flops), ("params", target.Params) }
            .Where(t => t.Item2 is { } f && !(f > 0 && f < 1))
            .Select(t => $"target.{t.Item1} is {t.Item2}; it must be a fraction strictly between 0 and 1.")
            .ToArray();
    }
}
