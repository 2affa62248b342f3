using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>
/// One mini-batch on the device: a tensor per graph input, in the graph's input order, each of the input's own element
/// type (float data, int64/int32/bool ids and masks), the class labels when the dataset has them, and the rows of the
/// dataset it was drawn from (which the original network's recorded outputs are gathered by).
/// </summary>
public sealed record Batch(Tensor[] Inputs, Tensor? Labels, Tensor Rows)
{
    public long Size => Inputs[0].shape[0];
}
