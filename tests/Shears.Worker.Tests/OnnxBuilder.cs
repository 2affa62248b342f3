using Google.Protobuf;
using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Worker.Tests;

/// <summary>Builds small ONNX graphs in code, with seeded random weights, for op-by-op parity tests.</summary>
internal sealed class OnnxBuilder(long[] inputShape, int opset = 13, int seed = 7)
{
    private readonly GraphProto graph = new() { Name = "ops" };
    private readonly Random random = new(seed);
    private int counter;

    public string Input { get; } = "input";

    public string Weight(params long[] dims)
    {
        var name = $"w{counter++}";
        var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * 0.5f;
        graph.Initializer.Add(OnnxTensors.FromFloats(name, dims, values));
        return name;
    }

    /// <summary>Positive values (variances, scales).</summary>
    public string PositiveWeight(params long[] dims)
    {
        var name = $"w{counter++}";
        var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
            values[i] = 0.5f + (float)random.NextDouble();
        graph.Initializer.Add(OnnxTensors.FromFloats(name, dims, values));
        return name;
    }

    public string Ints(params long[] values)
    {
        var name = $"i{counter++}";
        graph.Initializer.Add(OnnxTensors.FromInt64s(name, [values.Length], values));
        return name;
    }

    /// <summary>A 0-D int64 initializer (Trilu's diagonal offset, Range bounds).</summary>
    public string IntScalar(long value)
    {
        var name = $"i{counter++}";
        graph.Initializer.Add(OnnxTensors.FromInt64s(name, [], [value]));
        return name;
    }

    /// <summary>An initializer given whole (a uint8 or bool mask).</summary>
    public string Initializer(TensorProto tensor)
    {
        tensor.Name = $"m{counter++}";
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(float value)
    {
        var name = $"s{counter++}";
        graph.Initializer.Add(OnnxTensors.FromFloats(name, [], [value]));
        return name;
    }

    /// <summary>A float vector initializer (Resize scales).</summary>
    public string Floats(params float[] values)
    {
        var name = $"f{counter++}";
        graph.Initializer.Add(OnnxTensors.FromFloats(name, [values.Length], values));
        return name;
    }

    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) =>
        Nodes(op, 1, inputs, attributes)[0];

    /// <summary>A node with <paramref name="outputs"/> outputs (Split); returns their names.</summary>
    public string[] Nodes(string op, int outputs, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(_ => $"t{counter++}").ToArray();
        var node = new NodeProto { OpType = op, Name = $"{op}_{counter}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(names);
        foreach (var (name, value) in attributes)
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
                string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
                long[] ints => Attribute(name, ints),
                TensorProto t => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t },
                _ => throw new ArgumentException(name),
            });
        graph.Node.Add(node);
        return names;
    }

    /// <summary>
    /// F.pad(x, pads) as torch.onnx.export writes it: the pads are computed by ConstantOfShape → Concat →
    /// Reshape → Slice (reversed) → Transpose → Reshape → Cast before the Pad itself.
    /// </summary>
    public string PadAsExported(string x, params long[] torchPads)
    {
        var zeros = Node("ConstantOfShape", [Ints(torchPads.Length)], ("value", OnnxTensors.FromInt64s("", [1], [0])));
        var pairs = Node("Reshape", [Node("Concat", [Ints(torchPads), zeros], ("axis", 0L)), Ints(-1, 2)]);
        var reversed = Node("Slice", [pairs, Ints(-1), Ints(long.MinValue + 1), Ints(0), Ints(-1)]);
        var pads = Node("Cast", [Node("Reshape", [Node("Transpose", [reversed], ("perm", new long[] { 1, 0 })), Ints(-1)])], ("to", 7L));
        return Node("Pad", [x, pads]);
    }

    public byte[] Build(string output)
    {
        graph.Input.Add(Value(Input, inputShape));
        graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "shears-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    private static AttributeProto Attribute(string name, long[] ints)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(ints);
        return attribute;
    }

    private static ValueInfoProto Value(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto() };
        foreach (var d in shape)
            tensor.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
