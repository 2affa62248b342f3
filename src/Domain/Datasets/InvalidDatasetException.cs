namespace Shears.Domain.Datasets;

/// <summary>A dataset file that cannot be used; the message says what is wrong and what to do about it.</summary>
public sealed class InvalidDatasetException(string message) : Exception(message);
