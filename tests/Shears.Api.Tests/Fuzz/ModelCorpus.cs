using System.Buffers.Binary;
using System.Net.Http.Headers;
using Google.Protobuf;
using Onnx;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests.Fuzz;

/// <summary>
/// Damaged and hostile ONNX uploads made from the committed fixtures: truncations, bit flips, smashed runs, and
/// structural lies (absurd dimensions and counts, NaN/Inf weights, data that disagrees with its shape, nesting
/// bombs, lengths that point past the end), sent raw or as the multipart part <c>file</c>.
/// </summary>
internal sealed class ModelCorpus(Random random)
{
    private static readonly string[] Fixtures = ["tiny_cnn.onnx", "tiny_mlp.onnx", "small_resnet.onnx", "small_densenet.onnx", "unsupported_op.onnx"];
    private readonly byte[][] _fixtures = [.. Fixtures.Select(f => File.ReadAllBytes(RepoPaths.Fixture(f)))];

    public IEnumerable<FuzzCase> Cases(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next(i);
        }
    }

    private FuzzCase Next(int index)
    {
        var source = _fixtures[random.Next(_fixtures.Length)];
        var (label, bytes, expectation) = random.Next(20) switch
        {
            0 => ("valid", source, Expectation.Any),
            1 or 2 or 3 => ("truncated", Mutations.Truncate(random, source), Expectation.Refused),
            4 or 5 or 6 => ("bit flips", Mutations.FlipBits(random, source, random.Next(1, 16)), Expectation.Any),
            7 or 8 => ("smashed run", Mutations.Smash(random, source), Expectation.Any),
            9 => ("random bytes", Mutations.RandomBytes(random, 4096), Expectation.Refused),
            10 => ("absurd initializer dims", Mutate(source, AbsurdInitializerDims), Expectation.Refused),
            11 => ("non-finite weight", Mutate(source, NonFiniteWeight), Expectation.Refused),
            12 => ("data shorter than its shape", Mutate(source, ShortRawData), Expectation.Refused),
            13 => ("absurd input shape", Mutate(source, AbsurdInputShape), Expectation.Any),
            14 => ("absurd conv attributes", Mutate(source, AbsurdAttributes), Expectation.Any),
            15 => ("missing initializer", Mutate(source, RemoveInitializer), Expectation.Refused),
            16 => ("absurd opset", Mutate(source, AbsurdOpset), Expectation.Any),
            17 => ("length past the end", LengthPastTheEnd(), Expectation.Refused),
            18 => ("nesting bomb", NestingBomb(random.Next(70, 3000)), Expectation.Refused),
            _ => ("external data", Mutate(source, ExternalData), Expectation.Refused),
        };
        var asMultipart = random.Next(4) == 0;
        var name = random.Next(5) == 0 ? Mutations.PathLikeName(random) : $"fuzz-{index}";
        var fileName = random.Next(3) == 0 ? Mutations.PathLikeName(random) : "model.onnx";
        return new FuzzCase("model", label, expectation, () => Request(bytes, name, fileName, asMultipart));
    }

    private static HttpRequestMessage Request(byte[] bytes, string name, string fileName, bool asMultipart)
    {
        var uri = $"/v1/models?name={Uri.EscapeDataString(name)}";
        if (asMultipart)
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileName = $"\"{fileName.Replace("\"", "", StringComparison.Ordinal)}\"" };
            return new HttpRequestMessage(HttpMethod.Post, uri) { Content = new MultipartFormDataContent { file } };
        }
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
    }

    private static byte[] Mutate(byte[] source, Action<ModelProto> mutate)
    {
        var model = ModelProto.Parser.ParseFrom(source);
        mutate(model);
        return model.ToByteArray();
    }

    private TensorProto AnyInitializer(ModelProto model) => model.Graph.Initializer[random.Next(model.Graph.Initializer.Count)];

    private void AbsurdInitializerDims(ModelProto model)
    {
        var tensor = AnyInitializer(model);
        tensor.Dims.Clear();
        long[][] lies = [[1L << 40], [long.MaxValue, 2], [-1, 5], [int.MaxValue, int.MaxValue], [0], [.. Enumerable.Repeat(1000L, 64)], [3, 3, 3, 3, 3, 3, 3, 3, 3]];
        tensor.Dims.AddRange(lies[random.Next(lies.Length)]);
    }

    private void NonFiniteWeight(ModelProto model)
    {
        var floats = model.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.RawData.Length >= 4).ToList();
        var tensor = floats[random.Next(floats.Count)];
        var raw = tensor.RawData.ToByteArray();
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * random.Next(raw.Length / 4)), bad[random.Next(bad.Length)]);
        tensor.RawData = ByteString.CopyFrom(raw);
    }

    private void ShortRawData(ModelProto model)
    {
        var tensor = model.Graph.Initializer.Where(t => t.RawData.Length > 4).OrderBy(_ => random.Next()).First();
        tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..random.Next(0, tensor.RawData.Length - 1)]);
    }

    private void AbsurdInputShape(ModelProto model)
    {
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        long[] values = [1L << 40, 0, -7, long.MaxValue, int.MaxValue, 3];
        foreach (var dim in dims.Skip(1))
        {
            dim.DimValue = values[random.Next(values.Length)];
        }
        if (random.Next(3) == 0)
        {
            for (var i = 0; i < 200; i++)
            {
                dims.Add(new TensorShapeProto.Types.Dimension { DimValue = 2 });
            }
        }
    }

    private void AbsurdAttributes(ModelProto model)
    {
        var nodes = model.Graph.Node.Where(n => n.OpType is "Conv" or "MaxPool" or "AveragePool" or "Gemm" or "Flatten" or "Reshape" or "Concat").ToList();
        if (nodes.Count == 0)
        {
            return;
        }
        var node = nodes[random.Next(nodes.Count)];
        string[] names = ["kernel_shape", "strides", "pads", "dilations", "group", "axis", "transB"];
        var name = names[random.Next(names.Length)];
        var attribute = node.Attribute.FirstOrDefault(a => a.Name == name);
        if (attribute is null)
        {
            attribute = new AttributeProto { Name = name };
            node.Attribute.Add(attribute);
        }
        long[] values = [0, -1, -5, 1L << 40, long.MaxValue, long.MinValue, 100_000];
        attribute.I = values[random.Next(values.Length)];
        attribute.Type = AttributeProto.Types.AttributeType.Int;
        if (name is "kernel_shape" or "strides" or "pads" or "dilations")
        {
            attribute.Type = AttributeProto.Types.AttributeType.Ints;
            attribute.Ints.Clear();
            attribute.Ints.AddRange(Enumerable.Range(0, random.Next(0, 6)).Select(_ => values[random.Next(values.Length)]));
        }
    }

    private void RemoveInitializer(ModelProto model)
    {
        var tensor = AnyInitializer(model);
        model.Graph.Initializer.Remove(tensor);
        var input = model.Graph.Input.FirstOrDefault(i => i.Name == tensor.Name);
        if (input is not null)
        {
            model.Graph.Input.Remove(input);
        }
    }

    private void AbsurdOpset(ModelProto model)
    {
        long[] versions = [0, 1, -3, long.MaxValue, 10_000];
        foreach (var opset in model.OpsetImport)
        {
            opset.Version = versions[random.Next(versions.Length)];
        }
    }

    private void ExternalData(ModelProto model)
    {
        var tensor = AnyInitializer(model);
        tensor.ClearRawData();
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../../../etc/shadow" });
    }

    /// <summary>A ModelProto whose graph field claims far more bytes than follow (up to 2^62).</summary>
    private byte[] LengthPastTheEnd()
    {
        var output = new MemoryStream();
        var coded = new CodedOutputStream(output);
        coded.WriteTag(ModelProto.GraphFieldNumber, WireFormat.WireType.LengthDelimited);
        coded.WriteUInt64(1UL << random.Next(20, 62));
        coded.WriteTag(GraphProto.NodeFieldNumber, WireFormat.WireType.LengthDelimited);
        coded.WriteUInt32(0x7FFFFFFF);
        coded.Flush();
        var bytes = output.ToArray();
        return [.. bytes, .. Mutations.RandomBytes(random, 256)];
    }

    /// <summary>graph → node → attribute.g → graph → …, <paramref name="depth"/> levels deep (a stack-exhaustion attempt).</summary>
    private static byte[] NestingBomb(int depth)
    {
        var inner = Array.Empty<byte>();
        for (var i = 0; i < depth; i++)
        {
            inner = Wrap(GraphProto.NodeFieldNumber, Wrap(NodeProto.AttributeFieldNumber, Wrap(AttributeProto.GFieldNumber, inner)));
        }
        return Wrap(ModelProto.GraphFieldNumber, inner);
    }

    private static byte[] Wrap(int field, byte[] message)
    {
        var output = new MemoryStream();
        var coded = new CodedOutputStream(output);
        coded.WriteTag(field, WireFormat.WireType.LengthDelimited);
        coded.WriteBytes(ByteString.CopyFrom(message));
        coded.Flush();
        return output.ToArray();
    }
}
