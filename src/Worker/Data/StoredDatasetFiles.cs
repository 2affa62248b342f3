using Shears.Domain.Datasets;

namespace Shears.Worker.Data;

/// <summary>
/// A stored dataset's files, opened when the engine reads them: an image archive as <paramref name="OpenInputs"/> alone
/// (it labels its images itself), or array files: an IDX/.npy inputs file, or a .npz/.safetensors file of named arrays,
/// and a labels file, if any. The contents tell the formats. <paramref name="Arrays"/> are the arrays the upload's check
/// described (names, element types, sample shapes), which pin a network's dynamic sample dimensions; none for an archive.
/// </summary>
public sealed record StoredDatasetFiles(Func<Stream> OpenInputs, string InputsFileName, Func<Stream>? OpenLabels, string? LabelsFileName,
    IReadOnlyList<ArrayDescription>? Arrays = null);
