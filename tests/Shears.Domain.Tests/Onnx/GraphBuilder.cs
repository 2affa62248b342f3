using Google.Protobuf;
using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Domain.Tests.Onnx;

/// <summary>Builds small ONNX models by hand (opset 13) with seeded random weights, for tests.</summary>
internal sealed class GraphBuilder
{
    private readonly GraphProto graph = new() { Name = "test" };
    private readonly Random random = new(1234);
    private int counter;

    public GraphBuilder(string input, params long[] shape)
    {
        Input = input;
        graph.Input.Add(ValueInfo(input, shape, symbolicBatch: true));
    }

    public string Input { get; }

    public string Weight(string name, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, d) => a * d);
        var values = Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        graph.Initializer.Add(OnnxTensors.FromFloats(name, dims, values));
        return name;
    }

    public string Ints(string name, params long[] values)
    {
        graph.Initializer.Add(OnnxTensors.FromInt64s(name, [values.Length], values));
        return name;
    }

    public string IntScalar(string name, long value)
    {
        graph.Initializer.Add(OnnxTensors.FromInt64s(name, [], [value]));
        return name;
    }

    /// <summary>A scalar float from a Constant node (as torch.onnx.export writes Clip bounds).</summary>
    public string Constant(string name, float value)
    {
        var node = new NodeProto { OpType = "Constant", Name = name };
        node.Output.Add(name);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensors.FromFloats("", [], [value]) });
        graph.Node.Add(node);
        return name;
    }

    public string Conv(string name, string x, long inChannels, long outChannels, long kernel = 3, long group = 1, long pad = 0, bool bias = true)
    {
        var weight = Weight($"{name}.weight", outChannels, inChannels / group, kernel, kernel);
        string[] inputs = bias ? [x, weight, Weight($"{name}.bias", outChannels)] : [x, weight];
        return Node("Conv", name, inputs, Attr("group", group), Attr("pads", pad, pad, pad, pad), Attr("kernel_shape", kernel, kernel));
    }

    public string Gemm(string name, string x, long inFeatures, long outFeatures) =>
        Node("Gemm", name, [x, Weight($"{name}.weight", outFeatures, inFeatures), Weight($"{name}.bias", outFeatures)], Attr("transB", 1));

    public string BatchNorm(string name, string x, long channels) =>
        Node("BatchNormalization", name, [x, Weight($"{name}.weight", channels), Weight($"{name}.bias", channels),
            Weight($"{name}.mean", channels), Positive(Weight($"{name}.var", channels))]);

    public string Op(string opType, params string[] inputs) => Node(opType, $"{opType}_{counter}", inputs);

    public string Node(string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add($"{name}_out{counter++}");
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return node.Output[0];
    }

    public static AttributeProto Attr(string name, params long[] values) => values.Length == 1
        ? new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = values[0] }
        : new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public ModelProto Model(string output)
    {
        var copy = graph.Clone();
        copy.Output.Add(ValueInfo(output, [], symbolicBatch: false));
        var model = new ModelProto { IrVersion = 7, ProducerName = "shears-tests", Graph = copy };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    public byte[] Bytes(string output) => Model(output).ToByteArray();

    public OnnxGraph Graph(string output) => OnnxGraph.FromModel(Model(output));

    private string Positive(string name)
    {
        var tensor = graph.Initializer.First(t => t.Name == name);
        var values = OnnxTensors.ToFloats(tensor).Select(v => Math.Abs(v) + 0.5f).ToArray();
        graph.Initializer.Remove(tensor);
        graph.Initializer.Add(OnnxTensors.FromFloats(name, [.. tensor.Dims], values));
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, long[] shape, bool symbolicBatch)
    {
        var type = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float };
        if (shape.Length > 0)
        {
            type.Shape = new TensorShapeProto();
            type.Shape.Dim.AddRange(shape.Select((d, i) => i == 0 && symbolicBatch
                ? new TensorShapeProto.Types.Dimension { DimParam = "N" }
                : new TensorShapeProto.Types.Dimension { DimValue = d }));
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
    }
}
