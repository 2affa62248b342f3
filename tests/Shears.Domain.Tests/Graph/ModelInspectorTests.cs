using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

public class ModelInspectorTests
{
    [Theory]
    [InlineData("tiny_cnn")]
    [InlineData("tiny_mlp")]
    [InlineData("lenet5")]
    [InlineData("mlp")]
    public void FixtureNetworksInspectCleanly(string network)
    {
        if (!Fixtures.Exists($"{network}.onnx"))
            return; // the fixtures helper adds the larger networks later
        var inspection = ModelInspector.Inspect(Fixtures.Bytes($"{network}.onnx"));
        Assert.Empty(inspection.UnsupportedOps);
        Assert.Equal(Fixtures.Params(network), inspection.Params);
        Assert.True(inspection.Flops > 0);
        Assert.True(inspection.PrunableGroups > 0);
        Assert.Equal(-1, inspection.Inputs.Single().Shape[0]);
        Assert.Equal(10, inspection.Outputs.Single().Shape[^1]);
        Assert.All(inspection.Groups, g => Assert.InRange(g.FlopsShare, 0.0, 1.0));
        Assert.All(inspection.Groups, g => Assert.NotEmpty(g.Members));
    }

    [Fact]
    public void TinyCnnInspectionDescribesGroupsAndHeldTensors()
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes("tiny_cnn.onnx"));
        Assert.Equal(13, inspection.Opset);
        Assert.Equal([-1, 1, 28, 28], inspection.Inputs.Single().Shape);
        var conv2 = inspection.Groups.Single(g => g.Name == "/conv2/Conv");
        Assert.Contains("fc1.weight axis 1 (consumer, blocks of 25)", conv2.Members);
        // Removing all of conv2's filters would remove conv2 (69 696 FLOPs) and fc1's reads of them (12 800 FLOPs).
        Assert.Equal((69696.0 + 12800) / 131808, conv2.FlopsShare, 6);
        Assert.Contains(inspection.Held, h => h.Tensor == "logits" && h.Reason.Contains("output", StringComparison.Ordinal));
    }

    [Fact]
    public void GroupedConvolutionGroupsReportTheChannelsOfAConvGroup()
    {
        var inspection = ModelInspector.Inspect(File.ReadAllBytes(Datasets.DatasetFiles.Fixture("zoo/resnext.onnx")));
        var grouped = inspection.Groups.Where(g => g.UnitWidth > 1).ToList();
        Assert.Equal([(4, 2), (4, 4), (4, 8)], grouped.Select(g => (g.Channels, g.UnitWidth)));
        Assert.All(grouped, g => Assert.Contains(g.Members, m => m.Contains($"axis 0 (passthrough, blocks of {g.UnitWidth})", StringComparison.Ordinal)));
    }

    [Fact]
    public void UnsupportedOperatorsAreListedByName()
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes("unsupported_op.onnx"));
        Assert.Contains("TopK", inspection.UnsupportedOps);
        Assert.Equal(Fixtures.Params("unsupported_op"), inspection.Params);
        Assert.Empty(inspection.Groups);
    }

    public static TheoryData<string, byte[]> MalformedFiles()
    {
        var cnn = Fixtures.Bytes("tiny_cnn.onnx");
        return new()
        {
            { "empty", [] },
            { "text", "this is not a model"u8.ToArray() },
            { "truncated", cnn[..(cnn.Length / 2)] },
            { "random", [.. Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) % 251))] },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedFilesAreRefusedWithAnInvalidModelException(string kind, byte[] bytes)
    {
        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(bytes));
        Assert.False(string.IsNullOrWhiteSpace(error.Message), kind);
    }

    [Fact]
    public void CorruptedBytesGiveAnInspectionOrAnInvalidModelExceptionNeverAnotherError()
    {
        var original = Fixtures.Bytes("tiny_cnn.onnx");
        var random = new Random(42);
        var structure = Math.Min(original.Length, 2500); // nodes and attributes come before the weights
        for (var trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
                bytes[random.Next(trial % 2 == 0 ? structure : bytes.Length)] = (byte)random.Next(256);
            try
            {
                ModelInspector.Inspect(bytes);
            }
            catch (InvalidModelException)
            {
            }
        }
    }

    [Fact]
    public void AbsurdInitializerDimensionsAreRefusedWithoutAllocating()
    {
        var (builder, output) = CouplingGraphs.Mlp();
        var model = builder.Model(output);
        var weight = model.Graph.Initializer.First(t => t.Name == "fc1.weight");
        weight.Dims.Clear();
        weight.Dims.AddRange([1L << 40, 1L << 40]);
        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(model.ToByteArray()));
        Assert.Contains("fc1.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsurdInputDimensionsAreRefused()
    {
        var model = CouplingGraphs.Mlp().Builder.Model("fc3_out");
        model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1L << 50;
        Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(model.ToByteArray()));
    }

    /// <summary>
    /// torch.onnx.export's default (no dynamic_axes): the batch is fixed at 1 on every input and output. Where the graph
    /// cannot compute at another batch (here a class token of batch 1 concatenated to the tokens, as an Expand folded at
    /// export leaves it), every job of such a file failed on its first batch: it is refused, asking for a dynamic export.
    /// </summary>
    [Fact]
    public void AFixedBatchTheGraphDependsOnIsRefusedAskingForADynamicOne()
    {
        var b = new GraphBuilder("x", 1, 1, 8, 8);
        var tokens = b.Op("Reshape", b.Input, b.Ints("tokens", 1, 8, 8));
        var withClassToken = b.Node("Concat", "cat", [b.Weight("class_token", 1, 1, 8), tokens], GraphBuilder.Attr("axis", 1));
        var model = b.Model(b.Op("Relu", withClassToken));
        FixBatch(model, 1, [9, 8]);

        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(model.ToByteArray()));
        Assert.Contains($"Input {model.Graph.Input[0].Name} float32 [1, ", error.Message, StringComparison.Ordinal);
        Assert.Contains("dynamic_axes", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same export of a graph that runs at any batch once the batch folded into a Reshape target (x.view(x.size(0), -1)
    /// at batch 1: [1, 27]) copies the input's first axis instead: its first axis becomes dynamic.
    /// </summary>
    [Fact]
    public void AFixedBatchFoldedIntoAReshapeTargetBecomesDynamic()
    {
        var b = new GraphBuilder("x", 1, 1, 8, 8);
        var pooled = b.Node("MaxPool", "pool", [b.Op("Relu", b.Conv("conv", b.Input, 1, 3))], GraphBuilder.Attr("kernel_shape", 2, 2), GraphBuilder.Attr("strides", 2, 2));
        var model = b.Model(b.Gemm("fc", b.Op("Reshape", pooled, b.Ints("target", 1, 27)), 27, 4));
        FixBatch(model, 1, [4]);

        var inspection = ModelInspector.Inspect(model.ToByteArray());
        Assert.Equal(-1, inspection.Inputs.Single().Shape[0]);
        Assert.Equal(-1, inspection.Outputs.Single().Shape[0]);
        Assert.NotEmpty(inspection.Groups);
    }

    private static void FixBatch(global::Onnx.ModelProto model, long batch, long[] outputSample)
    {
        var output = model.Graph.Output.Single();
        output.Type.TensorType.Shape = new global::Onnx.TensorShapeProto();
        output.Type.TensorType.Shape.Dim.AddRange(new long[] { batch }.Concat(outputSample).Select(d => new global::Onnx.TensorShapeProto.Types.Dimension { DimValue = d }));
        model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = batch;
    }

    [Fact]
    public void DynamicSpatialDimensionsAskForAFixedExport()
    {
        var (builder, output) = CouplingGraphs.ConvIntoGemm();
        var model = builder.Model(output);
        model.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "height";
        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(model.ToByteArray()));
        Assert.Contains("fixed input size", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// token_encoder: an embedding's columns are channels on the last axis; the [N, T, 1] mask scales them alike, the sum over
    /// the tokens keeps them, so the width reaches the MLP as a group beside the MLP's hidden units.
    /// </summary>
    [Fact]
    public void AnEmbeddingsWidthPassesTheMaskedMeanPoolToTheMlp()
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes("token_encoder.onnx"));
        var embedding = Assert.Single(inspection.Groups, g => g.Name == "/embedding/Gather");
        Assert.Equal(32, embedding.Channels);
        Assert.Equal(["embedding.weight axis 1 (producer)", "fc1.weight axis 1 (consumer)"], embedding.Members);
        Assert.Contains(inspection.Groups, g => g.Name == "/fc1/Gemm" && g.Channels == 64);
        Assert.Contains(inspection.Held, h => h.Tensor == "/Cast_output_0" && h.Reason.Contains("alike to every channel", StringComparison.Ordinal));
    }

    /// <summary>audio_gru: the GRU is held, and fc1 reads its last state (Gather on the step axis); fc1's own units still prune.</summary>
    [Fact]
    public void ALayerReadingAHeldRecurrentStateStillPrunesItsOwnUnits()
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes("zoo/audio_gru.onnx"));
        Assert.Equal(["/conv1/Conv", "/fc1/Gemm"], inspection.Groups.Select(g => g.Name));
    }

    /// <summary>A TextCNN's dynamic token length counted as 1 is shorter than its widest convolution: it is counted as long as that needs.</summary>
    [Fact]
    public void ADynamicTokenLengthIsCountedAsLongAsItsWindowsNeed()
    {
        var inspection = ModelInspector.Inspect(Fixtures.Bytes("zoo/textcnn.onnx"));
        Assert.Empty(inspection.UnsupportedOps);
        Assert.Equal([-1L, -1L], inspection.Inputs.Single().Shape);
        Assert.Equal(["/embedding/Gather", "/convs.0/Conv", "/convs.1/Conv", "/convs.2/Conv"], inspection.Groups.Select(g => g.Name));
    }

    [Fact]
    public void InconsistentShapesAreRefusedNamingTheNode()
    {
        var b = new GraphBuilder("x", CouplingGraphs.VectorInput);
        var error = Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(b.Bytes(b.Gemm("fc", b.Input, 7, 3))));
        Assert.Contains("'fc'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeeplyNestedProtobufIsRefused()
    {
        // A graph attribute nested inside itself, 200 levels deep.
        var graph = new GraphProto { Name = "inner" };
        for (var i = 0; i < 200; i++)
        {
            var node = new NodeProto { OpType = "If" };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", G = graph });
            graph = new GraphProto { Name = $"level{i}" };
            graph.Node.Add(node);
        }
        var model = new ModelProto { Graph = graph };
        Assert.Throws<InvalidModelException>(() => ModelInspector.Inspect(model.ToByteArray()));
    }
}
