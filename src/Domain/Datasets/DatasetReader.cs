namespace Shears.Domain.Datasets;

/// <summary>
/// Reads an inputs file and a labels file (IDX, optionally gzipped, or .npy) into a <see cref="Dataset"/>.
/// Inputs are [samples, ...sample shape] of any supported numeric type; labels are [samples] (or
/// [samples, 1]) non-negative integers; the class count is the largest label + 1.
/// </summary>
public static class DatasetReader
{
    /// <summary>Throws <see cref="InvalidDatasetException"/> with a message a person can act on.</summary>
    public static Dataset Read(Stream inputs, string inputsFileName, Stream labels, string labelsFileName, DatasetLimits limits)
    {
        var inputArray = NumericArrayFile.Read(inputs, inputsFileName, limits);
        var samples = CheckInputShape(inputArray.Header, inputsFileName, limits);
        var (labelValues, numClasses) = ReadLabels(labels, labelsFileName, samples, inputsFileName, limits);

        var inputValues = inputArray.ToFloats();
        new FiniteValues(inputsFileName, inputValues.Length / samples).Check(inputValues);
        return new Dataset
        {
            Samples = samples,
            SampleShape = inputArray.Header.Shape[1..],
            Inputs = inputValues,
            Labels = labelValues,
            NumClasses = numClasses,
            IsByteData = inputArray.Header.ElementType == ElementType.UInt8,
        };
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
    public static DatasetDescription Describe(Stream inputs, string inputsFileName, Stream labels, string labelsFileName, DatasetLimits limits)
    {
        using var inputReader = NumericArrayReader.Open(inputs, inputsFileName, limits);
        var samples = CheckInputShape(inputReader.Header, inputsFileName, limits);
        var finite = new FiniteValues(inputsFileName, inputReader.ClaimedBytes / inputReader.Header.ElementType.SizeInBytes() / samples);
        foreach (var chunk in NumericArrayFile.ReadInChunks(inputReader))
        {
            finite.Check(chunk.ToFloats());
        }

        using var labelReader = NumericArrayReader.Open(labels, labelsFileName, limits);
        CheckLabelShape(labelReader.Header, labelsFileName, samples, inputsFileName);
        var classes = new ClassIndices(labelsFileName, limits);
        foreach (var chunk in NumericArrayFile.ReadInChunks(labelReader))
        {
            classes.Check(chunk.ToLongs());
        }
        return new DatasetDescription(samples, inputReader.Header.Shape[1..], classes.Count, inputReader.Header.ElementType == ElementType.UInt8);
    }

    private static int CheckInputShape(ArrayHeader header, string fileName, DatasetLimits limits)
    {
        if (header.Shape.Length < 2)
        {
            throw new InvalidDatasetException(
                $"{fileName}: inputs have shape {header.ShapeText}; expected [samples, ...features], e.g. [N, 28, 28] images or [N, 784] vectors. " +
                "Is this the labels file?");
        }
        var samples = header.Shape[0];
        return samples <= limits.MaxSamples
            ? samples
            : throw new InvalidDatasetException($"{fileName}: {samples:N0} samples is more than the {limits.MaxSamples:N0} allowed; upload a subset.");
    }

    private static void CheckLabelShape(ArrayHeader header, string fileName, int samples, string inputsFileName)
    {
        if (!header.ElementType.IsInteger())
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
