using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Shears.Domain.Persistence;

/// <summary>Stores UTC and reads back <see cref="DateTimeKind.Utc"/> on every provider.</summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    value => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(),
    value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
