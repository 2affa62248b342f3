using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Shears.Domain.Persistence;

/// <summary>Stores an enum by its lower-case name, the same word the REST API shows.</summary>
public sealed class LowerCaseEnumConverter<TEnum>() : ValueConverter<TEnum, string>(
    value => value.ToString().ToLowerInvariant(),
    text => Enum.Parse<TEnum>(text, true))
    where TEnum : struct, Enum;
