using Google.Protobuf;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>
/// Every PyTorch-exported single-input fixture network (fixtures.json "networks", whatever tools/make_fixtures.py
/// has committed; the multi-input "taskNetworks" and the zoo have tests of their own): it inspects
/// with no unsupported operator, and removing every other channel of every group gives a model whose
/// ONNX Runtime output equals the masked model's and whose cost the cost model predicted.
/// </summary>
public class ExportedNetworkTests
{
    private const long LargeBytes = 5_000_000;

    /// <summary>Stands in when no fixture of a size exists yet (xunit refuses an empty theory).</summary>
    private const string NoNetwork = "(none yet)";

    public static TheoryData<string> SmallNetworks => Networks(large: false);

    public static TheoryData<string> LargeNetworks => Networks(large: true);

    [Theory]
    [MemberData(nameof(SmallNetworks))]
    public void SmallNetworkPrunesLikeItsMask(string file) => AssertPrunesLikeItsMask(file);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(LargeNetworks))]
    public void LargeNetworkPrunesLikeItsMask(string file) => AssertPrunesLikeItsMask(file);

    [Theory]
    [InlineData("small_resnet.onnx", "residual")]
    [InlineData("small_densenet.onnx", "concat")]
    [InlineData("mobilenet_v2.onnx", "depthwise")]
    [InlineData("resnet18.onnx", "residual")]
    public void ExportedNetworksShowTheirCoupling(string file, string coupling)
    {
        if (!Fixtures.Exists(file))
            return;
        var groups = ChannelGroupAnalysis.Find(Fixtures.Graph(file)).Groups;
        Func<ChannelGroup, bool> shows = coupling switch
        {
            "residual" => g => g.Members.Count(m => m.Role == SliceRole.Producer && Dims(file, m.Initializer).Length == 4 && m.Axis == 0) > 1,
            "concat" => g => g.Members.Any(m => m.Role == SliceRole.Consumer && m.Offset > 0),
            _ => g => g.Members.Any(m => m.Role == SliceRole.PassThrough && Dims(file, m.Initializer) is [_, 1, _, _]),
        };
        Assert.Contains(groups, g => shows(g));
    }

    /// <summary>
    /// torchvision resnet18 as exported: its folded zero biases are deduplicated behind Identity nodes, yet
    /// every block's first conv is a group of its own, each stage's residual stream (stem or downsample
    /// shortcut plus both blocks' second convs) is one group, and only the graph input and output are held.
    /// </summary>
    [Fact]
    public void Resnet18GroupsEveryConvWithOneResidualGroupPerStage()
    {
        const string file = "resnet18.onnx";
        Assert.Contains(global::Onnx.ModelProto.Parser.ParseFrom(Fixtures.Bytes(file)).Graph.Node, n => n.OpType == "Identity");
        var graph = Fixtures.Graph(file);
        var analysis = ChannelGroupAnalysis.Find(graph);

        var convWeights = graph.Nodes.Where(n => n.OpType == "Conv").Select(n => n.Input[1]).ToList();
        var produced = analysis.Groups.SelectMany(g => g.Members.Where(m => m.Role == SliceRole.Producer && convWeights.Contains(m.Initializer)).Select(m => m.Initializer)).ToList();
        Assert.Equal(convWeights.Order(), produced.Order());

        var residual = analysis.Groups.Where(g => g.Members.Count(m => m.Role == SliceRole.Producer && convWeights.Contains(m.Initializer)) > 1).ToList();
        Assert.Equal([64, 128, 256, 512], residual.Select(g => g.Channels));
        Assert.All(residual, g => Assert.Equal(3, g.Members.Count(m => m.Role == SliceRole.Producer && convWeights.Contains(m.Initializer))));
        Assert.Contains(new ParameterSlice("fc.weight", 1, 0, 1, SliceRole.Consumer), residual[^1].Members);
        Assert.Equal(8, analysis.Groups.Count - residual.Count);

        Assert.Equal(new HashSet<string> { graph.Inputs[0].Name, graph.Outputs[0].Name }, analysis.Held.Select(h => h.Tensor).ToHashSet());
    }

    private static long[] Dims(string file, string initializer) => OnnxTensors.Dims(Fixtures.Graph(file).Initializers[initializer]);

    private static void AssertPrunesLikeItsMask(string file)
    {
        if (file == NoNetwork)
            return;
        var bytes = Fixtures.Bytes(file);
        var inspection = ModelInspector.Inspect(bytes);
        Assert.Empty(inspection.UnsupportedOps);
        Assert.NotEmpty(inspection.Groups);

        var graph = OnnxGraph.Parse(bytes);
        var (pruned, predicted) = PruneCheck.AssertPrunedMatchesMasked(graph, [2, .. graph.Inputs[0].Shape.Skip(1)], period: 2, tolerance: 1e-3f);
        var prunedInspection = ModelInspector.Inspect(pruned);
        Assert.Equal((predicted.Params, predicted.Flops), (prunedInspection.Params, prunedInspection.Flops));
        Assert.Equal(inspection.PrunableGroups, prunedInspection.PrunableGroups);
    }

    private static TheoryData<string> Networks(bool large)
    {
        var data = new TheoryData<string>();
        foreach (var file in Fixtures.SingleInputNetworkFiles().Order())
            if (!file.StartsWith("unsupported", StringComparison.Ordinal) && Fixtures.Exists(file) && (new FileInfo(Fixtures.PathOf(file)).Length > LargeBytes) == large)
                data.Add(file);
        if (data.Count == 0)
            data.Add(NoNetwork);
        return data;
    }
}
