namespace Shears.Domain.Datasets;

/// <summary>
/// Checks labels as class indices (0 or more, below <see cref="DatasetLimits.MaxClasses"/>) and counts the classes
/// (largest label + 1); fed the labels in order, whole or in chunks.
/// </summary>
internal sealed class ClassIndices(string fileName, DatasetLimits limits)
{
    private long _seen;
    private long _max = -1;

    public int Count => (int)_max + 1;

    public void Check(long[] labels)
    {
        var negative = Array.FindIndex(labels, label => label < 0);
        if (negative >= 0)
        {
            throw new InvalidDatasetException($"{fileName}: label {_seen + negative} is {labels[negative]}; class indices must be 0 or more.");
        }
        _seen += labels.Length;
        _max = Math.Max(_max, labels.Length == 0 ? -1 : labels.Max());
        if (_max >= limits.MaxClasses)
        {
            throw new InvalidDatasetException(
                $"{fileName}: the largest label is {_max:N0}, so the dataset would have more than the {limits.MaxClasses:N0} classes allowed; " +
                "labels must be class indices 0..C-1.");
        }
    }
}
