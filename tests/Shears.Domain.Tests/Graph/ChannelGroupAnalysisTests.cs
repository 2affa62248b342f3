using Shears.Domain.Graph;
using Shears.Domain.Onnx;
using static Shears.Domain.Graph.SliceRole;

namespace Shears.Domain.Tests.Graph;

public class ChannelGroupAnalysisTests
{
    [Fact]
    public void MlpChainGroupsOneHiddenLayerEach()
    {
        var (b, output) = CouplingGraphs.Mlp();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        Assert.Equal(["fc1", "fc2"], analysis.Groups.Select(g => g.Name));
        AssertMembers(analysis.Groups[0], ("fc1.weight", 0, 0, 1, Producer), ("fc1.bias", 0, 0, 1, Producer), ("fc2.weight", 1, 0, 1, Consumer));
        AssertMembers(analysis.Groups[1], ("fc2.weight", 0, 0, 1, Producer), ("fc2.bias", 0, 0, 1, Producer), ("fc3.weight", 1, 0, 1, Consumer));
    }

    [Fact]
    public void FlattenIntoGemmGivesEachChannelABlockOfColumns()
    {
        var (b, output) = CouplingGraphs.ConvIntoGemm();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        var conv = Assert.Single(analysis.Groups);
        Assert.Equal(3, conv.Channels);
        AssertMembers(conv, ("conv.weight", 0, 0, 1, Producer), ("conv.bias", 0, 0, 1, Producer), ("fc.weight", 1, 0, 9, Consumer));
        var gate = Assert.Single(conv.GateSites);
        Assert.Equal((1, 0), (gate.Axis, gate.Offset));
        Assert.StartsWith("pool", gate.Tensor);
    }

    [Fact]
    public void ResidualAddTiesAllBranchesIntoOneGroup()
    {
        var (b, output) = CouplingGraphs.Residual();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        var residual = Assert.Single(analysis.Groups);
        Assert.Equal("stem+a+b", residual.Name);
        AssertMembers(residual,
            ("stem.weight", 0, 0, 1, Producer), ("stem.bias", 0, 0, 1, Producer),
            ("a.weight", 1, 0, 1, Consumer), ("a.weight", 0, 0, 1, Producer), ("a.bias", 0, 0, 1, Producer),
            ("b.weight", 1, 0, 1, Consumer), ("b.weight", 0, 0, 1, Producer), ("b.bias", 0, 0, 1, Producer),
            ("head.weight", 1, 0, 1, Consumer));
    }

    [Fact]
    public void ConcatPlacesEachInputAtItsOffset()
    {
        var (b, output) = CouplingGraphs.Concat();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        Assert.Equal(["left", "right"], analysis.Groups.Select(g => g.Name));
        string[] bn = ["bn.weight", "bn.bias", "bn.mean", "bn.var"];
        AssertMembers(analysis.Groups[0], [("left.weight", 0, 0, 1, Producer), ("left.bias", 0, 0, 1, Producer),
            .. bn.Select(p => (p, 0, 0, 1, PassThrough)), ("mix.weight", 1, 0, 1, Consumer)]);
        AssertMembers(analysis.Groups[1], [("right.weight", 0, 0, 1, Producer), ("right.bias", 0, 0, 1, Producer),
            .. bn.Select(p => (p, 0, 2, 1, PassThrough)), ("mix.weight", 1, 2, 1, Consumer)]);
        Assert.Equal([0, 2], analysis.Groups.Select(g => Assert.Single(g.GateSites).Offset));
    }

    [Fact]
    public void DepthwiseConvTiesItsInputAndOutputChannels()
    {
        var (b, output) = CouplingGraphs.Depthwise();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        var expand = Assert.Single(analysis.Groups);
        AssertMembers(expand, ("expand.weight", 0, 0, 1, Producer), ("expand.bias", 0, 0, 1, Producer),
            ("dw.weight", 0, 0, 1, PassThrough), ("dw.bias", 0, 0, 1, PassThrough), ("project.weight", 1, 0, 1, Consumer));
    }

    [Fact]
    public void GroupedConvTiesItsInputAndOutputChannelsAConvGroupAtATime()
    {
        var (b, output) = CouplingGraphs.Grouped();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        var grouped = analysis.Groups.Single(g => g.Members.Any(m => m.Initializer == "grouped.weight"));
        // The squeeze-and-excitation's up-projection scales the same channels, so it removes them a conv group at a time too.
        Assert.Equal((4, 2), (grouped.Channels, grouped.UnitWidth));
        string[] norms = ["expand_bn", "grouped_bn"];
        string[] normParameters = ["weight", "bias", "mean", "var"];
        AssertMembers(grouped, [("expand.weight", 0, 0, 2, Producer), ("expand.bias", 0, 0, 2, Producer),
            .. norms.SelectMany(bn => normParameters.Select(p => ($"{bn}.{p}", 0, 0, 2, PassThrough))),
            ("grouped.weight", 0, 0, 2, PassThrough), ("grouped.bias", 0, 0, 2, PassThrough), ("down.weight", 1, 0, 2, Consumer),
            ("up.weight", 0, 0, 2, Producer), ("up.bias", 0, 0, 2, Producer), ("project.weight", 1, 0, 2, Consumer)]);
        Assert.All(grouped.GateSites, site => Assert.Equal(2, site.Block));
    }

    [Fact]
    public void ConvGroupsOfDifferentWidthsOnOneGroupRemoveTheirLeastCommonMultiple()
    {
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.ImageInput);
        var pairs = b.Op("Relu", b.Conv("pairs", b.Op("Relu", b.Conv("stem", b.Input, 1, 12, kernel: 1)), 12, 12, group: 6, pad: 1));
        var triples = b.Conv("triples", pairs, 12, 12, group: 4, pad: 1);
        var group = Assert.Single(ChannelGroupAnalysis.Find(b.Graph(b.Conv("head", triples, 12, 2, kernel: 1))).Groups);
        Assert.Equal((2, 6), (group.Channels, group.UnitWidth));
        Assert.All(group.Members, m => Assert.Equal(6, m.BlockSize));
    }

    [Fact]
    public void ConcatOrSliceThatCutsThroughConvGroupsHoldsTheirChannels()
    {
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.ImageInput);
        // 2 + 6 channels into groups of 4: the first group would read from both layers.
        var joined = b.Node("Concat", "join", [b.Conv("two", b.Input, 1, 2), b.Conv("six", b.Input, 1, 6)], Onnx.GraphBuilder.Attr("axis", 1));
        var across = b.Conv("across", joined, 8, 8, group: 2, pad: 1);
        // Channels 2..8 of groups of 4: the Slice cuts the first group.
        var grouped = b.Conv("grouped", b.Op("Relu", b.Conv("stem", b.Input, 1, 8)), 8, 8, group: 2, pad: 1);
        var sliced = b.Op("Slice", grouped, b.Ints("starts", 2), b.Ints("ends", 8), b.Ints("axes", 1));
        var analysis = ChannelGroupAnalysis.Find(b.Graph(b.Op("Add", b.Conv("head1", across, 8, 3, kernel: 1), b.Conv("head2", sliced, 6, 3, kernel: 1))));

        Assert.Contains(analysis.Held, h => h.Tensor == joined
            && h.Reason.Contains("Conv 'across' is grouped (group=2) and its input joins channels from several layers that do not line up with its groups of 4", StringComparison.Ordinal));
        Assert.Contains(analysis.Held, h => h.Tensor == grouped && h.Reason.Contains("Conv 'grouped' removes these channels 4 at a time", StringComparison.Ordinal));
        Assert.DoesNotContain(analysis.Groups, g => g.Members.Any(m => m.Initializer is "two.weight" or "six.weight" or "across.weight" or "stem.weight" or "grouped.weight"));
    }

    [Fact]
    public void SharedWeightTiesTheLayersThatShareIt()
    {
        var (b, output) = CouplingGraphs.SharedWeight();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        var shared = Assert.Single(analysis.Groups);
        Assert.Equal("stem+shared1+shared2", shared.Name);
        AssertMembers(shared, ("stem.weight", 0, 0, 1, Producer), ("stem.bias", 0, 0, 1, Producer),
            ("shared.weight", 1, 0, 1, Consumer), ("shared.weight", 0, 0, 1, Producer), ("head.weight", 1, 0, 1, Consumer));
    }

    [Fact]
    public void SameShapeMulTiesTheExcitationToTheChannelsItScales()
    {
        var (b, output) = CouplingGraphs.SqueezeExcitation();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        Assert.Equal(["body+up", "down"], analysis.Groups.Select(g => g.Name));
        AssertMembers(analysis.Groups[0], ("body.weight", 0, 0, 1, Producer), ("body.bias", 0, 0, 1, Producer),
            ("down.weight", 1, 0, 1, Consumer), ("up.weight", 0, 0, 1, Producer), ("up.bias", 0, 0, 1, Producer), ("head.weight", 1, 0, 1, Consumer));
    }

    [Fact]
    public void ChannelsPassThroughPadPoolingClipAndTransposes()
    {
        var (b, output) = CouplingGraphs.ChannelsLast();
        var analysis = ChannelGroupAnalysis.Find(b.Graph(output));
        Assert.Equal(["conv", "proj"], analysis.Groups.Select(g => g.Name));
        AssertMembers(analysis.Groups[0], ("conv.weight", 0, 0, 1, Producer), ("conv.bias", 0, 0, 1, Producer), ("proj.weight", 0, 0, 1, Consumer));
        AssertMembers(analysis.Groups[1], ("proj.weight", 1, 0, 1, Producer), ("proj.bias", 0, 0, 1, PassThrough), ("head.weight", 1, 0, 1, Consumer));
        Assert.Equal((3, 0), (analysis.Groups[0].GateSites.Single().Axis, analysis.Groups[0].GateSites.Single().Offset));
        Assert.StartsWith("to_last", analysis.Groups[0].GateSites.Single().Tensor);
        Assert.StartsWith("to_first", analysis.Groups[1].GateSites.Single().Tensor);
    }

    [Fact]
    public void SoftmaxOverChannelsAndUnknownOperatorsHoldWhatTheyTouch()
    {
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.VectorInput);
        var h = b.Node("Softmax", "squash", [b.Gemm("fc1", b.Input, 12, 6)], Onnx.GraphBuilder.Attr("axis", 1));
        h = b.Op("Relu", b.Gemm("fc2", h, 6, 5));
        h = b.Node("Gather", "pick", [h, b.Ints("first_five", 0, 1, 2, 3, 4)], Onnx.GraphBuilder.Attr("axis", 1));
        var analysis = ChannelGroupAnalysis.Find(b.Graph(b.Gemm("fc3", h, 5, 3)));
        Assert.Empty(analysis.Groups);
        Assert.Contains(analysis.Held, t => t.Reason.Contains("normalizes over the channels", StringComparison.Ordinal));
        Assert.Contains(analysis.Held, t => t.Reason.Contains("Gather 'pick'", StringComparison.Ordinal));
    }

    /// <summary>
    /// Before opset 13 Softmax normalizes its axis and every axis after it (a ViT exported at opset 11 has axis=2 over
    /// [batch·heads, T, T]): channels before the axis pass, channels among the normalized axes are held.
    /// </summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    public void An_opset_11_softmax_holds_the_channels_only_when_it_normalizes_over_them(int axis, int groups)
    {
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.ImageInput);
        var h = b.Node("Softmax", "attention_like", [b.Op("Relu", b.Conv("conv1", b.Input, 1, 6, pad: 1))], Onnx.GraphBuilder.Attr("axis", axis));
        var model = b.Model(b.Conv("conv2", h, 6, 3, pad: 1));
        model.OpsetImport[0].Version = 11;
        var analysis = ChannelGroupAnalysis.Find(OnnxGraph.FromModel(model));
        Assert.Equal(groups, analysis.Groups.Count);
        Assert.Equal(groups == 0, analysis.Held.Any(t => t.Reason.Contains("Softmax 'attention_like' normalizes over the channels", StringComparison.Ordinal)));
    }

    [Fact]
    public void WideningGroupedConvolutionsNonFlatteningReshapesAndMisalignedSumsAreHeld()
    {
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.ImageInput);
        var stem = b.Op("Relu", b.Conv("stem", b.Input, 1, 4, pad: 1));
        var grouped = b.Conv("grouped", stem, 4, 8, group: 2, pad: 1);
        var halves = b.Node("Concat", "halves", [b.Conv("left", grouped, 8, 2, pad: 1), b.Conv("right", grouped, 8, 2, pad: 1)], Onnx.GraphBuilder.Attr("axis", 1));
        var summed = b.Op("Add", halves, b.Conv("whole", grouped, 8, 4, pad: 1));
        var regrouped = b.Op("Reshape", summed, b.Ints("two_by_two", 0, 2, 2, 64));
        var flat = b.Node("Flatten", "flat", [regrouped], Onnx.GraphBuilder.Attr("axis", 1));
        var analysis = ChannelGroupAnalysis.Find(b.Graph(b.Gemm("fc", flat, 256, 3)));

        Assert.Empty(analysis.Groups);
        Assert.Contains(analysis.Held, h => h.Tensor == stem && h.Reason.Contains("Conv 'grouped' is grouped (group=2) with 2 input and 4 output channels per group", StringComparison.Ordinal));
        Assert.Contains(analysis.Held, h => h.Tensor == halves && h.Reason.Contains("do not line up", StringComparison.Ordinal));
        Assert.Contains(analysis.Held, h => h.Tensor == summed && h.Reason.Contains("not a flatten", StringComparison.Ordinal));
    }

    [Fact]
    public void IdentityAliasedInitializersGiveEachLayerItsOwnCopy()
    {
        // torch.onnx.export writes equal initializers once and aliases them with Identity nodes.
        var b = new Onnx.GraphBuilder("x", CouplingGraphs.ImageInput);
        var bias = b.Weight("shared.bias", 4);
        var first = b.Op("Relu", b.Node("Conv", "first", [b.Input, b.Weight("first.weight", 4, 1, 3, 3), b.Op("Identity", bias)]));
        var second = b.Op("Relu", b.Node("Conv", "second", [first, b.Weight("second.weight", 4, 4, 1, 1), b.Op("Identity", bias)]));
        var graph = b.Graph(b.Conv("head", second, 4, 2, kernel: 1));
        var analysis = ChannelGroupAnalysis.Find(graph);
        Assert.Equal(["first", "second"], analysis.Groups.Select(g => g.Name));
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "Identity");
        PruneCheck.AssertPrunedMatchesMasked(graph, CouplingGraphs.ImageInput, period: 2, tolerance: 1e-4f);
    }

    private static void AssertMembers(ChannelGroup group, params (string Initializer, int Axis, int Offset, int Block, SliceRole Role)[] expected) =>
        Assert.Equal(
            expected.Select(e => new ParameterSlice(e.Initializer, e.Axis, e.Offset, e.Block, e.Role)).OrderBy(s => s.ToString()),
            group.Members.OrderBy(s => s.ToString()));
}
