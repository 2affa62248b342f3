namespace Shears.Worker.Data;

/// <summary>
/// A stored dataset's files, opened when the engine reads them: an image archive as <paramref name="OpenInputs"/> alone
/// (it labels its images itself), or an IDX/.npy inputs file and its labels file. The names tell the formats.
/// </summary>
public sealed record StoredDatasetFiles(Func<Stream> OpenInputs, string InputsFileName, Func<Stream>? OpenLabels, string? LabelsFileName);
