namespace Shears.Domain.Datasets;

/// <summary>
/// Reads a dataset upload into a <see cref="Dataset"/>: the inputs part is one array file (IDX, optionally gzipped, or
/// .npy) or a file of named arrays, a .npz (numpy.savez) or a .safetensors, whose arrays feed the network's inputs of the
/// same names and whose array <c>labels</c>, if any, holds the labels. Labels may also come as their own file; they are optional.
/// Every input array is [samples, ...sample shape] with the same number of samples; labels are [samples] (or
/// [samples, 1]) non-negative integers; the class count is the largest label + 1.
/// </summary>
public static class DatasetReader
{
    /// <summary>The name of the .npz array that holds the labels.</summary>
    public const string LabelsArrayName = "labels";

    /// <summary>Throws <see cref="InvalidDatasetException"/> with a message a person can act on.</summary>
    public static Dataset Read(Stream inputs, string inputsFileName, Stream? labels, string? labelsFileName, DatasetLimits limits)
    {
        var sources = ArraySources.Of(inputs, inputsFileName, labels, labelsFileName, limits);
        var arrays = new List<DatasetArray>();
        var samples = new SampleCount(inputsFileName, limits);
        foreach (var source in sources.Inputs)
        {
            using var stream = source.Open();
            var array = NumericArrayFile.Read(stream, source.FileName, limits);
            samples.Check(array.Header, source.FileName, sources.IsArchive);
            var values = DatasetArray.From(source.Name, array);
            if (values.Floats is { } floats)
                new FiniteValues(source.FileName, Math.Max(1, values.SampleSize)).Check(floats);
            arrays.Add(values);
        }

        long[]? labelValues = null;
        var classes = 0;
        if (sources.Labels is { } labelSource)
        {
            using var stream = labelSource.Open();
            (labelValues, classes) = ReadLabels(stream, labelSource.FileName, samples.Value, inputsFileName, limits);
        }
        return new Dataset { Samples = samples.Value, Arrays = arrays, Labels = labelValues, NumClasses = classes };
    }

    /// <summary>A labels file's class indices for <paramref name="samples"/> inputs, and the class count (largest + 1).</summary>
    public static (long[] Labels, int NumClasses) ReadLabels(Stream labels, string labelsFileName, int samples, string inputsFileName, DatasetLimits limits)
    {
        var labelArray = NumericArrayFile.Read(labels, labelsFileName, limits);
        CheckLabelShape(labelArray.Header, labelsFileName, samples, inputsFileName);
        var labelValues = labelArray.ToLongs();
        var classes = new ClassIndices(labelsFileName, limits);
        classes.Check(labelValues);
        return (labelValues, classes.Count);
    }

    /// <summary>
    /// The same checks as <see cref="Read"/>, reading the files a chunk at a time and keeping no values: what an
    /// upload needs, in memory that does not grow with the dataset (nor with a gzip bomb's claims).
    /// </summary>
    public static DatasetDescription Describe(Stream inputs, string inputsFileName, Stream? labels, string? labelsFileName, DatasetLimits limits)
    {
        var sources = ArraySources.Of(inputs, inputsFileName, labels, labelsFileName, limits);
        var arrays = new List<ArrayDescription>();
        var samples = new SampleCount(inputsFileName, limits);
        foreach (var source in sources.Inputs)
        {
            using var stream = source.Open();
            using var reader = NumericArrayReader.Open(stream, source.FileName, limits);
            samples.Check(reader.Header, source.FileName, sources.IsArchive);
            var sampleShape = reader.Header.Shape[1..];
            if (reader.Header.ElementType.HeldAsFloats())
            {
                var finite = new FiniteValues(source.FileName, Math.Max(1, sampleShape.Aggregate(1, (a, b) => a * b)));
                foreach (var chunk in NumericArrayFile.ReadInChunks(reader))
                    finite.Check(chunk.ToFloats());
            }
            else
            {
                foreach (var _ in NumericArrayFile.ReadInChunks(reader))
                {
                }
            }
            arrays.Add(new ArrayDescription(source.Name, reader.Header.ElementType.WireName(), sampleShape));
        }

        var classes = 0;
        if (sources.Labels is { } labelSource)
        {
            using var stream = labelSource.Open();
            using var labelReader = NumericArrayReader.Open(stream, labelSource.FileName, limits);
            CheckLabelShape(labelReader.Header, labelSource.FileName, samples.Value, inputsFileName);
            var indices = new ClassIndices(labelSource.FileName, limits);
            foreach (var chunk in NumericArrayFile.ReadInChunks(labelReader))
                indices.Check(chunk.ToLongs());
            classes = indices.Count;
        }
        return new DatasetDescription(samples.Value, arrays, classes, sources.Labels is not null);
    }

    /// <summary>The samples every input array must agree on: the first array's, checked against the limits.</summary>
    private sealed class SampleCount(string inputsFileName, DatasetLimits limits)
    {
        private int? samples;
        private string first = "";

        public int Value => samples ?? 0;

        public void Check(ArrayHeader header, string fileName, bool inArchive)
        {
            if (header.Shape.Length < (inArchive ? 1 : 2))
            {
                throw new InvalidDatasetException(
                    $"{fileName}: inputs have shape {header.ShapeText}; expected [samples, ...features], e.g. [N, 28, 28] images or [N, 784] vectors. " +
                    "Is this the labels file?");
            }
            var count = header.Shape[0];
            if (count > limits.MaxSamples)
                throw new InvalidDatasetException($"{fileName}: {count:N0} samples is more than the {limits.MaxSamples:N0} allowed; upload a subset.");
            if (samples is { } expected && expected != count)
            {
                throw new InvalidDatasetException(
                    $"{inputsFileName}: '{first}' holds {expected:N0} samples but {fileName} holds {count:N0}; every array needs one row per sample.");
            }
            samples ??= count;
            if (first.Length == 0)
                first = fileName;
        }
    }

    private static void CheckLabelShape(ArrayHeader header, string fileName, int samples, string inputsFileName)
    {
        if (!header.ElementType.IsInteger() || header.ElementType == ElementType.Bool)
        {
            throw new InvalidDatasetException(
                $"{fileName}: labels are {header.ElementType}; they must be integer class indices (e.g. numpy.save(path, labels.astype('int64'))).");
        }
        if (header.Shape is not ([_] or [_, 1]))
        {
            throw new InvalidDatasetException(
                $"{fileName}: labels have shape {header.ShapeText}; expected [samples] class indices (one-hot labels: save argmax(axis=1)).");
        }
        if (header.Shape[0] != samples)
        {
            throw new InvalidDatasetException(
                $"{inputsFileName} holds {samples:N0} samples but {fileName} holds {header.Shape[0]:N0} labels; " +
                "upload the labels file that belongs to these inputs.");
        }
    }
}
