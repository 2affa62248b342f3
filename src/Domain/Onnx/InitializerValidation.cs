using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>
/// Reads every weight of a model once, as training will: data kept elsewhere, data that disagrees with its shape,
/// NaN or infinite values, and types the engine cannot load (STRING, FLOAT16 …) are refused at upload rather than
/// found by a job hours later.
/// </summary>
public static class InitializerValidation
{
    /// <exception cref="InvalidModelException">Names the first tensor that cannot be used and why.</exception>
    public static void EnsureUsable(OnnxGraph graph)
    {
        foreach (var (name, tensor) in graph.Initializers)
        {
            switch ((TensorProto.Types.DataType)tensor.DataType)
            {
                case TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double:
                    var values = OnnxTensors.ToFloats(tensor);
                    var bad = Array.FindIndex(values, v => !float.IsFinite(v));
                    if (bad >= 0)
                    {
                        throw new InvalidModelException(
                            $"Tensor '{name}' holds {values[bad]} at element {bad}; every weight must be a finite number. Was the network trained to divergence?");
                    }
                    break;
                case var integer when OnnxTensors.IsInteger(integer):
                    OnnxTensors.ToInt64s(tensor);
                    break;
                case var _ when tensor.DataLocation == TensorProto.Types.DataLocation.External:
                    throw new InvalidModelException($"Tensor '{name}' keeps its data in an external file; upload a model with the weights embedded.");
                case var other:
                    // The engine loads every initializer and Constant value as float32 weights or int64 values (shapes, indices, masks).
                    throw new InvalidModelException($"Tensor '{name}' holds {TypeName(other)} values; Shears reads weights as FLOAT or DOUBLE " +
                        "and constants as integers or BOOL. Export the network with float32 weights, or without this tensor.");
            }
        }
    }

    private static string TypeName(TensorProto.Types.DataType type)
        => Enum.IsDefined(type) ? type.ToString().ToUpperInvariant() : $"data type {(int)type}";
}
