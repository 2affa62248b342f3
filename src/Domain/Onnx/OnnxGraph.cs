using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>
/// A parsed ONNX model, checked and indexed for the rest of Shears: nodes in topological order,
/// initializers and Constant-node values by name, the data inputs and the outputs.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>Protobuf nesting deeper than this is refused (a hostile file could otherwise recurse).</summary>
    private const int MaxRecursionDepth = 64;

    private OnnxGraph(ModelProto model, IReadOnlyList<NodeProto> nodes, IReadOnlyDictionary<string, TensorProto> initializers,
        IReadOnlyList<GraphTensor> inputs, IReadOnlyList<GraphTensor> outputs)
    {
        Model = model;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        Opset = model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        graphInitializers = [.. model.Graph.Initializer.Select(t => t.Name)];
        shapes = new Lazy<TensorShapes>(() => ShapeInference.Infer(this));
        readers = new Lazy<IReadOnlyDictionary<string, IReadOnlyList<NodeProto>>>(() => nodes
            .SelectMany(n => n.Input.Where(i => i != "").Distinct().Select(i => (Tensor: i, Node: n)))
            .GroupBy(p => p.Tensor)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<NodeProto>)[.. g.Select(p => p.Node)]));
    }

    private readonly HashSet<string> graphInitializers;
    private readonly Lazy<TensorShapes> shapes;
    private readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<NodeProto>>> readers;

    /// <summary>Inferred shapes of every tensor (computed once, on first use; throws <see cref="InvalidModelException"/>).</summary>
    public TensorShapes Shapes => shapes.Value;

    /// <summary>The nodes reading a tensor, in topological order (empty when none does).</summary>
    public IReadOnlyList<NodeProto> ReadersOf(string tensor) => readers.Value.GetValueOrDefault(tensor, []);

    /// <summary>True when the tensor is a graph initializer (not a Constant node's value).</summary>
    public bool IsGraphInitializer(string tensor) => graphInitializers.Contains(tensor);

    public ModelProto Model { get; }

    /// <summary>The default-domain opset version the model was exported with.</summary>
    public long Opset { get; }

    /// <summary>All nodes, Constant nodes included, producers before consumers.</summary>
    public IReadOnlyList<NodeProto> Nodes { get; }

    /// <summary>Graph initializers and the values of Constant nodes, by tensor name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Initializers { get; }

    /// <summary>The graph inputs that are not initializers (the data the network reads), in the graph's order.</summary>
    public IReadOnlyList<GraphTensor> Inputs { get; }

    /// <summary>The graph outputs, in the graph's order.</summary>
    public IReadOnlyList<GraphTensor> Outputs { get; }

    /// <summary>True when the tensor is one of the graph's outputs.</summary>
    public bool IsOutput(string tensor) => Outputs.Any(o => o.Name == tensor);

    public static OnnxGraph Parse(byte[] onnx)
    {
        using var stream = new MemoryStream(onnx, writable: false);
        return Parse(stream);
    }

    /// <summary>
    /// Parses from a stream as it is read, so a file that is not ONNX is refused after its first bytes
    /// instead of after being loaded whole.
    /// </summary>
    public static OnnxGraph Parse(Stream onnx)
    {
        ModelProto model;
        try
        {
            var input = CodedInputStream.CreateWithLimits(onnx, (int)Math.Min(onnx.Length, int.MaxValue), MaxRecursionDepth);
            model = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidModelException($"The file is not a valid ONNX model (protobuf error: {e.Message}).");
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new InvalidModelException("The file has no ONNX graph (or an empty one); upload an ONNX model exported with torch.onnx.export or similar.");
        return FromModel(model);
    }

    /// <remarks>
    /// torch.onnx.export deduplicates equal initializers and aliases them with Identity nodes; such
    /// aliases become initializers of their own (in a copy of <paramref name="model"/>), so every
    /// layer owns its weights and can be sliced on its own.
    /// </remarks>
    /// <param name="relaxBatch">Make a first axis that torch.onnx.export fixed at the example's batch dynamic where the graph allows (<see cref="FixedBatch"/>).</param>
    public static OnnxGraph FromModel(ModelProto model, bool relaxBatch = true)
    {
        model = WithoutInitializerAliases(model);
        if (relaxBatch)
            model = FixedBatch.Relaxed(model, FixedBatch.Constants(model));
        var graph = model.Graph;
        var initializers = new Dictionary<string, TensorProto>();
        foreach (var tensor in graph.Initializer)
            initializers[tensor.Name] = tensor;
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
        {
            if (node.Output.Count != 1)
                throw new InvalidModelException($"Constant node '{node.Name}' must have exactly one output.");
            initializers[node.Output[0]] = ConstantValue(node);
        }

        var dataInputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Select(Describe).ToList();
        if (dataInputs.Count == 0)
            throw new InvalidModelException("The model has no data input (every graph input is an initializer).");
        if (dataInputs.FirstOrDefault(i => !GraphTensor.InputTypes.Contains(i.ElementType)) is { } unsupported)
            throw new InvalidModelException($"Input '{unsupported.Name}' is {unsupported.ElementTypeName}; Shears feeds float32 data and int64, int32 or bool ids and masks.");
        if (graph.Output.Count == 0)
            throw new InvalidModelException("The model has no outputs.");
        var outputs = graph.Output.Select(Describe).ToList();
        if (outputs.FirstOrDefault(o => o.ElementType != TensorProto.Types.DataType.Float) is { } integerOutput)
            throw new InvalidModelException($"Output '{integerOutput.Name}' is {integerOutput.ElementTypeName}; Shears trains against float32 outputs (export the scores, not an argmax).");

        return new OnnxGraph(model, TopologicalOrder(graph, initializers.Keys.Concat(dataInputs.Select(i => i.Name))), initializers, dataInputs, outputs);
    }

    public byte[] ToBytes() => Model.ToByteArray();

    private static ModelProto WithoutInitializerAliases(ModelProto model)
    {
        bool IsAlias(NodeProto n, ISet<string> constants) =>
            n.OpType == "Identity" && n.Input.Count == 1 && n.Output.Count == 1 && constants.Contains(n.Input[0])
            && model.Graph.Output.All(o => o.Name != n.Output[0]);
        var constantNames = model.Graph.Initializer.Select(t => t.Name)
            .Concat(model.Graph.Node.Where(n => n.OpType == "Constant").SelectMany(n => n.Output)).ToHashSet();
        if (!model.Graph.Node.Any(n => IsAlias(n, constantNames)))
            return model;

        var copy = model.Clone();
        var sources = copy.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var node in copy.Graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1))
            sources[node.Output[0]] = ConstantValue(node);
        foreach (var alias in copy.Graph.Node.Where(n => IsAlias(n, constantNames)).ToList())
        {
            var tensor = sources[alias.Input[0]].Clone();
            tensor.Name = alias.Output[0];
            copy.Graph.Initializer.Add(tensor);
            copy.Graph.Node.Remove(alias);
        }
        GraphCleanup.RemoveUnused(copy.Graph);
        return copy;
    }

    /// <summary>The tensor a Constant node produces, from its value / value_float(s) / value_int(s) attribute.</summary>
    private static TensorProto ConstantValue(NodeProto node)
    {
        var attribute = node.Attribute.FirstOrDefault()
            ?? throw new InvalidModelException($"Constant node '{node.Name}' has no value.");
        return attribute.Name switch
        {
            "value" when attribute.T is not null => attribute.T,
            "value_float" => OnnxTensors.FromFloats(node.Output[0], [], [attribute.F]),
            "value_floats" => OnnxTensors.FromFloats(node.Output[0], [attribute.Floats.Count], [.. attribute.Floats]),
            "value_int" => OnnxTensors.FromInt64s(node.Output[0], [], [attribute.I]),
            "value_ints" => OnnxTensors.FromInt64s(node.Output[0], [attribute.Ints.Count], [.. attribute.Ints]),
            _ => throw new InvalidModelException($"Constant node '{node.Name}' uses '{attribute.Name}'; Shears supports tensor, float and int constants."),
        };
    }

    /// <summary>Kahn's algorithm over tensor names; a node is ready once every input it reads exists.</summary>
    private static List<NodeProto> TopologicalOrder(GraphProto graph, IEnumerable<string> available)
    {
        var ready = new HashSet<string>(available) { "" };
        var waitingOn = new Dictionary<NodeProto, int>();
        var readers = new Dictionary<string, List<NodeProto>>();
        var queue = new Queue<NodeProto>();
        foreach (var node in graph.Node)
        {
            var missing = node.Input.Where(i => !ready.Contains(i)).Distinct().ToList();
            waitingOn[node] = missing.Count;
            foreach (var tensor in missing)
                (readers.TryGetValue(tensor, out var list) ? list : readers[tensor] = []).Add(node);
            if (missing.Count == 0)
                queue.Enqueue(node);
        }

        var ordered = new List<NodeProto>(graph.Node.Count);
        while (queue.TryDequeue(out var node))
        {
            ordered.Add(node);
            foreach (var output in node.Output.Where(ready.Add))
                foreach (var reader in readers.GetValueOrDefault(output, []))
                    if (--waitingOn[reader] == 0)
                        queue.Enqueue(reader);
        }

        if (ordered.Count != graph.Node.Count)
        {
            var unresolved = graph.Node.Except(ordered).SelectMany(n => n.Input).Where(i => !ready.Contains(i)).Distinct().Take(5);
            throw new InvalidModelException($"The graph has a cycle or reads tensors nothing produces: {string.Join(", ", unresolved)}.");
        }
        return ordered;
    }

    private static GraphTensor Describe(ValueInfoProto value) =>
        new(value.Name, value.Type?.TensorType is { ElemType: > 0 } tensor ? (TensorProto.Types.DataType)tensor.ElemType : TensorProto.Types.DataType.Float,
            value.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : -1).ToArray() ?? []);
}
