using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Domain.Graph;

/// <summary>What a graph output holds, which decides how it is distilled and compared with the original network's.</summary>
public enum OutputKind
{
    /// <summary>[N, C] class scores (logits or probabilities): softened KL, top-1 agreement, accuracy on labels.</summary>
    Classes,
    /// <summary>Embeddings, regressions, boxes, maps: squared error over the original's variance, relative error and cosine.</summary>
    Values,
}

/// <summary>
/// Which outputs are class scores and which are values. The job option <c>outputKinds</c> says it per output name;
/// otherwise an output of rank 2 is class scores unless it is one score wide ([N, 1]: a ranker's or regressor's score,
/// whose softmax is constant, so a KL would distil nothing) or the graph shows it is an embedding: it comes out of an L2
/// normalisation (F.normalize's division by ReduceL2, LpNormalization), a pooling over tokens (ReduceMean or ReduceSum, a
/// masked mean pool's division of a ReduceSum, over [N, T, D]) or a Tanh (BERT's pooler). A softened KL on an embedding matches only its
/// centred logits' ordering and top-1 agreement of embedding dimensions means nothing, so such outputs are values.
/// Global pooling is not taken as a sign: SqueezeNet-style classifiers end in GlobalAveragePool over class maps.
/// </summary>
public static class OutputKinds
{
    public const string Classes = "classes", Values = "values";

    /// <summary>The kind of every graph output, in the graph's order.</summary>
    public static IReadOnlyList<OutputKind> Of(OnnxGraph graph, IReadOnlyDictionary<string, string>? declared = null) =>
        [.. graph.Outputs.Select(o => declared?.GetValueOrDefault(o.Name) is { } kind ? Parse(kind) : Inferred(graph, o.Name))];

    /// <summary>The index of the one class-score output, or null when there is not exactly one.</summary>
    public static int? ClassOutput(IReadOnlyList<OutputKind> kinds)
    {
        var classes = kinds.Select((kind, i) => (kind, i)).Where(p => p.kind == OutputKind.Classes).ToList();
        return classes.Count == 1 ? classes[0].i : null;
    }

    /// <summary>The index of the graph's one class-score output, or null when there is not exactly one.</summary>
    public static int? ClassOutput(OnnxGraph graph, IReadOnlyDictionary<string, string>? declared = null) => ClassOutput(Of(graph, declared));

    /// <summary>An output's kind as the inspection reported it (older inspections did not: [N, C] with C > 1 counts as class scores), unless declared.</summary>
    public static OutputKind Of(TensorDescription output, IReadOnlyDictionary<string, string>? declared = null) =>
        declared?.GetValueOrDefault(output.Name) is { } kind ? Parse(kind)
        : output.Kind is { } inspected ? Parse(inspected)
        : output.Shape is [_, not 1] ? OutputKind.Classes : OutputKind.Values;

    public static string ToWire(this OutputKind kind) => kind == OutputKind.Classes ? Classes : Values;

    private static OutputKind Parse(string kind) => kind == Classes ? OutputKind.Classes : OutputKind.Values;

    private static OutputKind Inferred(OnnxGraph graph, string output)
    {
        try
        {
            return InferredFromShapes(graph, output);
        }
        catch (InvalidModelException)
        {
            // Shapes that cannot be inferred before a job pins a dynamic length: the rank the file states decides.
            return graph.Outputs.First(o => o.Name == output).Shape is [_, not 1] ? OutputKind.Classes : OutputKind.Values;
        }
    }

    private static OutputKind InferredFromShapes(OnnxGraph graph, string output)
    {
        if (graph.Shapes[output] is not [_, var width] || width == 1)
            return OutputKind.Values;
        return ProducerThroughViews(graph, output) is { } producer && EndsAnEmbedding(graph, producer) ? OutputKind.Values : OutputKind.Classes;
    }

    private static readonly HashSet<string> Views = ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast", "Dropout"];
    private static readonly HashSet<string> Norms = ["ReduceL2", "Sqrt", "ReduceSumSquare"];
    private static readonly HashSet<string> NormPlumbing = ["Expand", "Clip", "Max", "Add", "Unsqueeze", "Reshape", "Cast", "Identity"];
    private static readonly HashSet<string> TokenPools = ["ReduceMean", "ReduceSum"];

    private static bool EndsAnEmbedding(OnnxGraph graph, NodeProto node) => node.OpType switch
    {
        "LpNormalization" or "Tanh" => true,
        "ReduceMean" or "ReduceSum" => PoolsTokens(graph, node),
        "Div" => ReachesThrough(graph, node.Input[1], NormPlumbing, Norms, hops: 4)
            || ProducerThroughViews(graph, node.Input[0]) is { } dividend && PoolsTokens(graph, dividend),
        _ => false,
    };

    /// <summary>A mean or sum over the tokens of [N, T, D] (not over the positions of class maps, which classifiers do).</summary>
    private static bool PoolsTokens(OnnxGraph graph, NodeProto node) =>
        TokenPools.Contains(node.OpType) && graph.Shapes[node.Input[0]].Length == 3;

    private static NodeProto? ProducerThroughViews(OnnxGraph graph, string tensor)
    {
        for (var hops = 0; hops < 8; hops++)
        {
            var producer = Producer(graph, tensor);
            if (producer is null || !Views.Contains(producer.OpType))
                return producer;
            tensor = producer.Input[0];
        }
        return null;
    }

    /// <summary>True when <paramref name="tensor"/> is made by one of <paramref name="targets"/>, through at most <paramref name="hops"/> nodes of <paramref name="through"/>.</summary>
    private static bool ReachesThrough(OnnxGraph graph, string tensor, HashSet<string> through, HashSet<string> targets, int hops)
    {
        var producer = Producer(graph, tensor);
        if (producer is null)
            return false;
        if (targets.Contains(producer.OpType))
            return true;
        return hops > 0 && through.Contains(producer.OpType)
            && producer.Input.Where(i => i != "" && !graph.Initializers.ContainsKey(i)).Any(i => ReachesThrough(graph, i, through, targets, hops - 1));
    }

    private static NodeProto? Producer(OnnxGraph graph, string tensor) => graph.Nodes.LastOrDefault(n => n.Output.Contains(tensor));
}
