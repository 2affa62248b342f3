using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Shears.Worker.Data;

/// <summary>A named graph input on the host, of its own element type, for ONNX Runtime: what the checks and latency runs feed.</summary>
public sealed record HostTensor(string Name, long[] Shape, Array Values)
{
    /// <summary>A copy of <paramref name="value"/> (any device) as float, int64, int32 or bool values.</summary>
    public static HostTensor From(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        var host = value.detach().cpu().contiguous();
        Array values = host.dtype switch
        {
            ScalarType.Int64 => host.data<long>().ToArray(),
            ScalarType.Int32 => host.data<int>().ToArray(),
            ScalarType.Bool => host.data<bool>().ToArray(),
            _ => host.to_type(ScalarType.Float32).data<float>().ToArray(),
        };
        return new HostTensor(name, host.shape, values);
    }

    public OrtValue ToOrtValue() => Values switch
    {
        float[] floats => OrtValue.CreateTensorValueFromMemory(floats, Shape),
        long[] longs => OrtValue.CreateTensorValueFromMemory(longs, Shape),
        int[] ints => OrtValue.CreateTensorValueFromMemory(ints, Shape),
        bool[] bools => OrtValue.CreateTensorValueFromMemory(bools, Shape),
        _ => throw new InvalidOperationException($"Input '{Name}' holds {Values.GetType().Name}, which the ONNX Runtime checks do not feed."),
    };

    public Tensor ToTensor(Device device) => Values switch
    {
        float[] floats => tensor(floats, Shape, device: device),
        long[] longs => tensor(longs, Shape, device: device),
        int[] ints => tensor(ints, Shape, device: device),
        bool[] bools => tensor(bools, Shape, device: device),
        _ => throw new InvalidOperationException($"Input '{Name}' holds {Values.GetType().Name}."),
    };
}
