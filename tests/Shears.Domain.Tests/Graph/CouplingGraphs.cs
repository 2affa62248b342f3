using Shears.Domain.Tests.Onnx;

namespace Shears.Domain.Tests.Graph;

/// <summary>Small hand-built networks, one per kind of channel coupling.</summary>
internal static class CouplingGraphs
{
    public static readonly long[] ImageInput = [2, 1, 8, 8];
    public static readonly long[] VectorInput = [2, 12];

    /// <summary>Flatten → fc1(12→6) → Relu → fc2(6→5) → Relu → fc3(5→3).</summary>
    public static (GraphBuilder Builder, string Output) Mlp()
    {
        var b = new GraphBuilder("x", VectorInput);
        var h = b.Op("Relu", b.Gemm("fc1", b.Op("Flatten", b.Input), 12, 6));
        h = b.Op("Relu", b.Gemm("fc2", h, 6, 5));
        return (b, b.Gemm("fc3", h, 5, 3));
    }

    /// <summary>conv(1→3, 3×3) → Relu → MaxPool 2 → view(N, -1) (3·3·3 features) → fc(27→4).</summary>
    public static (GraphBuilder Builder, string Output) ConvIntoGemm()
    {
        var b = new GraphBuilder("x", ImageInput);
        var pooled = b.Node("MaxPool", "pool", [b.Op("Relu", b.Conv("conv", b.Input, 1, 3))],
            GraphBuilder.Attr("kernel_shape", 2, 2), GraphBuilder.Attr("strides", 2, 2));
        var batch = b.Op("Unsqueeze", b.Node("Gather", "batch", [b.Op("Shape", pooled), b.IntScalar("zero", 0)]), b.Ints("axes0", 0));
        var target = b.Node("Concat", "target", [batch, b.Ints("minus_one", -1)], GraphBuilder.Attr("axis", 0));
        return (b, b.Gemm("fc", b.Op("Reshape", pooled, target), 27, 4));
    }

    /// <summary>stem(1→4) → Relu → a(4→4) → Add(stem, a) → Relu → b(4→4) → Add → head(4→2) (residual, two blocks).</summary>
    public static (GraphBuilder Builder, string Output) Residual()
    {
        var b = new GraphBuilder("x", ImageInput);
        var stem = b.Op("Relu", b.Conv("stem", b.Input, 1, 4, pad: 1));
        var first = b.Op("Relu", b.Op("Add", stem, b.Conv("a", stem, 4, 4, pad: 1)));
        var second = b.Op("Add", b.Conv("b", first, 4, 4, pad: 1), first);
        return (b, b.Conv("head", b.Op("GlobalAveragePool", second), 4, 2, kernel: 1));
    }

    /// <summary>left(1→2) and right(1→3) → Concat → BatchNorm(5) → Relu → mix(5→4) → GlobalAveragePool.</summary>
    public static (GraphBuilder Builder, string Output) Concat()
    {
        var b = new GraphBuilder("x", ImageInput);
        var joined = b.Node("Concat", "join", [b.Conv("left", b.Input, 1, 2), b.Conv("right", b.Input, 1, 3)], GraphBuilder.Attr("axis", 1));
        var mixed = b.Conv("mix", b.Op("Relu", b.BatchNorm("bn", joined, 5)), 5, 4, kernel: 1);
        return (b, b.Op("GlobalAveragePool", mixed));
    }

    /// <summary>expand(1→4) → Relu → depthwise(4, group 4) → Relu → project(4→3).</summary>
    public static (GraphBuilder Builder, string Output) Depthwise()
    {
        var b = new GraphBuilder("x", ImageInput);
        var expanded = b.Op("Relu", b.Conv("expand", b.Input, 1, 4, kernel: 1));
        var depthwise = b.Op("Relu", b.Conv("dw", expanded, 4, 4, group: 4, pad: 1));
        return (b, b.Conv("project", depthwise, 4, 3, kernel: 1));
    }

    /// <summary>
    /// A ResNeXt/RegNet block: expand(1→8) → BatchNorm → Relu → grouped(8→8, group 4: 2 channels per group) → BatchNorm → Relu →
    /// squeeze-and-excitation (down 8→2, up 2→8) → project(8→3).
    /// </summary>
    public static (GraphBuilder Builder, string Output) Grouped()
    {
        var b = new GraphBuilder("x", ImageInput);
        var expanded = b.Op("Relu", b.BatchNorm("expand_bn", b.Conv("expand", b.Input, 1, 8, kernel: 1), 8));
        var grouped = b.Op("Relu", b.BatchNorm("grouped_bn", b.Conv("grouped", expanded, 8, 8, group: 4, pad: 1), 8));
        var scale = b.Op("Sigmoid", b.Conv("up", b.Op("Relu", b.Conv("down", b.Op("GlobalAveragePool", grouped), 8, 2, kernel: 1)), 2, 8, kernel: 1));
        return (b, b.Conv("project", b.Op("Mul", grouped, scale), 8, 3, kernel: 1));
    }

    /// <summary>stem(1→4) → Relu → shared(4→4) → Relu → shared again (same weight) → Relu → head(4→2).</summary>
    public static (GraphBuilder Builder, string Output) SharedWeight()
    {
        var b = new GraphBuilder("x", ImageInput);
        var stem = b.Op("Relu", b.Conv("stem", b.Input, 1, 4));
        var weight = b.Weight("shared.weight", 4, 4, 1, 1);
        var once = b.Op("Relu", b.Node("Conv", "shared1", [stem, weight]));
        var twice = b.Op("Relu", b.Node("Conv", "shared2", [once, weight]));
        return (b, b.Conv("head", twice, 4, 2, kernel: 1));
    }

    /// <summary>Squeeze-and-excitation: body(1→4) → Relu → x · Sigmoid(up(Relu(down(GlobalAveragePool x)))) → head(4→2).</summary>
    public static (GraphBuilder Builder, string Output) SqueezeExcitation()
    {
        var b = new GraphBuilder("x", ImageInput);
        var body = b.Op("Relu", b.Conv("body", b.Input, 1, 4, pad: 1));
        var squeezed = b.Op("Relu", b.Conv("down", b.Op("GlobalAveragePool", body), 4, 2, kernel: 1));
        var scale = b.Op("Sigmoid", b.Conv("up", squeezed, 2, 4, kernel: 1));
        return (b, b.Conv("head", b.Op("Mul", body, scale), 4, 2, kernel: 1));
    }

    /// <summary>
    /// Channels-last detour and constant plumbing: conv(1→4) → Pad (spatial) → AveragePool → Clip (Constant bounds, ReLU6)
    /// → Transpose to N,H,W,C → MatMul(4→3) + per-feature bias → Sub(x, 0.5·x) → Transpose back → conv(3→2).
    /// </summary>
    public static (GraphBuilder Builder, string Output) ChannelsLast()
    {
        var b = new GraphBuilder("x", ImageInput);
        var conv = b.Conv("conv", b.Input, 1, 4);
        var padded = b.Op("Pad", conv, b.Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1));
        var pooled = b.Node("AveragePool", "pool", [padded], GraphBuilder.Attr("kernel_shape", 2, 2), GraphBuilder.Attr("strides", 2, 2));
        var clipped = b.Op("Clip", pooled, b.Constant("zero", 0f), b.Constant("six", 6f));
        var last = b.Node("Transpose", "to_last", [clipped], GraphBuilder.Attr("perm", 0, 2, 3, 1));
        var projected = b.Op("Add", b.Node("MatMul", "proj", [last, b.Weight("proj.weight", 4, 3)]), b.Weight("proj.bias", 3));
        var scaled = b.Op("Sub", projected, b.Op("Mul", projected, b.Constant("half", 0.5f)));
        var first = b.Node("Transpose", "to_first", [scaled], GraphBuilder.Attr("perm", 0, 3, 1, 2));
        return (b, b.Conv("head", first, 3, 2, kernel: 1));
    }
}
