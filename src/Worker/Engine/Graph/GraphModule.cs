using Onnx;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;
using Shears.Worker.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// An <see cref="OnnxGraph"/> as a trainable TorchSharp module: float initializers are parameters
/// (BatchNormalization running statistics are buffers), integer tensors and Constant-node values are
/// constants, and every node is a compiled kernel run in topological order. It takes a tensor per graph input (float
/// data; int64, int32 or bool ids and masks) and returns a tensor per graph output. Any node's first input can
/// carry a per-channel multiplier, applied to what that node reads and nothing else (see
/// <see cref="ChannelGates"/>), the one mechanism behind masks and gates. Operators an exporter wrote out node by node
/// run fused (<see cref="KernelFusion"/>), unless a multiplier sits on one of the nodes a fusion stands for: then the
/// module runs the nodes as exported.
/// </summary>
public sealed class GraphModule : nn.Module<Tensor, Tensor>, IKernelContext
{
    private readonly Dictionary<string, int> slotOf = [];
    private readonly GraphValue[] fixedValues;
    private readonly GraphValue[] slots;
    private readonly CompiledNode[] program;
    private readonly CompiledNode[] exported;
    private readonly int[] fusedAwaySlots;
    private bool runExported;
    private readonly int[] inputSlots;
    private readonly int[] outputSlots;
    private readonly Dictionary<string, Parameter> trainable = [];
    private readonly Dictionary<string, Tensor> runningStatistics = [];
    private readonly Dictionary<string, Tensor> floatConstants = [];
    private readonly Tensor?[] inputMultiplierByOutputSlot;
    private readonly Tensor?[] weightMultiplierBySlot;
    private readonly Tensor?[] capturedBySlot;
    private readonly long[]?[] probedShapes;

    static GraphModule() => OneDnnIsa.LimitToGemmConvolutionsUnlessSet();

    public GraphModule(OnnxGraph graph, Device device) : base("GraphModule")
    {
        Graph = graph;
        Device = device;
        Opset = graph.Opset;
        foreach (var node in graph.Nodes)
            if (!KernelRegistry.Supports(node))
                throw new NotSupportedException($"{node.Describe()}: the op {node.OpType} is not supported by the training engine.");

        inputSlots = [.. graph.Inputs.Select(i => SlotOf(i.Name))];
        foreach (var node in graph.Nodes)
            foreach (var name in node.Input.Concat(node.Output))
                if (name.Length > 0)
                    SlotOf(name);
        outputSlots = [.. graph.Outputs.Select(o => SlotOf(o.Name))];

        fixedValues = new GraphValue[slotOf.Count];
        slots = new GraphValue[slotOf.Count];
        inputMultiplierByOutputSlot = new Tensor?[slotOf.Count];
        weightMultiplierBySlot = new Tensor?[slotOf.Count];
        capturedBySlot = new Tensor?[slotOf.Count];
        probedShapes = new long[]?[slotOf.Count];
        LoadInitializers(graph);
        var nodes = graph.Nodes.Where(n => n.OpType != "Constant").ToList();
        var compiled = nodes.ToDictionary<NodeProto, NodeProto, CompiledNode[]>(n => n, n => [.. Compile(n)], ReferenceEqualityComparer.Instance);
        exported = [.. nodes.SelectMany(n => compiled[n])];
        var fusions = KernelFusion.Find(graph);
        var fusionByLast = fusions.ToDictionary<KernelFusion.Fusion, NodeProto, KernelFusion.Fusion>(f => f.Replaced[^1], f => f, ReferenceEqualityComparer.Instance);
        var replaced = fusions.SelectMany(f => f.Replaced).ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        program = [.. nodes.SelectMany(n => fusionByLast.TryGetValue(n, out var fusion) ? Compile(fusion.Node) : replaced.Contains(n) ? [] : compiled[n])];
        fusedAwaySlots = [.. replaced.SelectMany(n => n.Output.Where(o => o.Length > 0)).Select(SlotOf)];
        eval();
        Probe();
    }

    public OnnxGraph Graph { get; }

    /// <summary>What each graph output holds: as the graph shows it (<see cref="Domain.Graph.OutputKinds"/>), or as the job declares it.</summary>
    public IReadOnlyList<Domain.Graph.OutputKind> OutputKinds => outputKinds ??= Domain.Graph.OutputKinds.Of(Graph);

    private IReadOnlyList<Domain.Graph.OutputKind>? outputKinds;

    /// <summary>Takes the job's <c>outputKinds</c> over what the graph shows.</summary>
    public void DeclareOutputKinds(IReadOnlyDictionary<string, string>? declared) => outputKinds = Domain.Graph.OutputKinds.Of(Graph, declared);

    public Device Device { get; }

    public long Opset { get; }

    bool IKernelContext.Training => training;

    /// <summary>The trainable parameters by initializer name.</summary>
    public IReadOnlyDictionary<string, Parameter> Parameters => trainable;

    /// <summary>The op that computes graph output <paramref name="index"/>: Softmax or LogSoftmax mean it is already a (log-)probability.</summary>
    public string OutputOp(int index = 0) => Graph.Nodes.LastOrDefault(n => n.Output.Contains(Graph.Outputs[index].Name))?.OpType ?? "";

    /// <summary>When set, every gated input keeps its gradient after backward (for the Fisher signal).</summary>
    internal bool CaptureGated { get; set; }

    float? IKernelContext.ConstantScalar(string tensorName) =>
        Graph.Initializers.TryGetValue(tensorName, out var t) && OnnxTensors.ElementCount(t) == 1 ? OnnxTensors.ToFloats(t)[0] : null;

    bool IKernelContext.IsTrained(string tensorName) => trainable.ContainsKey(tensorName);

    /// <summary>A network of one input and one output: its output for <paramref name="input"/>.</summary>
    public override Tensor forward(Tensor input)
    {
        if (inputSlots.Length != 1 || outputSlots.Length != 1)
            throw new InvalidOperationException($"The graph has {inputSlots.Length} inputs and {outputSlots.Length} outputs; call Run with a tensor per input.");
        return Run([input])[0];
    }

    /// <summary>The graph's outputs, in the graph's order, for a tensor per graph input in the graph's order.</summary>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != inputSlots.Length)
            throw new ArgumentException($"The graph takes {inputSlots.Length} inputs, not {inputs.Count}.", nameof(inputs));
        for (var i = 0; i < inputSlots.Length; i++)
            slots[inputSlots[i]] = GraphValue.Of(inputs[i]);
        foreach (var node in runExported ? exported : program)
        {
            var nodeInputs = node.Inputs;
            for (var i = 0; i < nodeInputs.Length; i++)
                nodeInputs[i] = node.InputSlots[i] < 0 ? default
                    : weightMultiplierBySlot[node.InputSlots[i]] is { } weightGate ? GraphValue.Of(Value(node.InputSlots[i]).Tensor! * weightGate)
                    : Value(node.InputSlots[i]);
            var slot = node.OutputSlot;
            if (inputMultiplierByOutputSlot[slot] is { } multiplier)
            {
                var gated = nodeInputs[0].Tensor! * multiplier;
                if (CaptureGated && gated.requires_grad)
                {
                    gated.retain_grad();
                    capturedBySlot[slot] = gated;
                }
                nodeInputs[0] = GraphValue.Of(gated);
            }
            slots[slot] = node.Kernel(nodeInputs);
        }

        var results = new Tensor[outputSlots.Length];
        for (var o = 0; o < outputSlots.Length; o++)
            results[o] = Value(outputSlots[o]).Tensor ?? throw new InvalidOperationException($"The graph output '{Graph.Outputs[o].Name}' is not a tensor.");
        Array.Clear(slots);
        return results;
    }

    /// <summary>Every parameter and buffer (BatchNormalization running statistics) by initializer name: what training changes.</summary>
    public IEnumerable<(string Name, Tensor Value)> TrainedState =>
        trainable.Select(p => (p.Key, (Tensor)p.Value)).Concat(runningStatistics.Select(b => (b.Key, b.Value)));

    /// <summary>The values of every parameter and buffer by initializer name (row-major float32).</summary>
    public Dictionary<string, float[]> ExportInitializers()
    {
        var values = new Dictionary<string, float[]>();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in TrainedState)
            values[name] = tensor.detach().cpu().contiguous().data<float>().ToArray();
        return values;
    }

    internal int SlotOf(string tensorName)
    {
        if (!slotOf.TryGetValue(tensorName, out var slot))
            slotOf[tensorName] = slot = slotOf.Count;
        return slot;
    }

    internal bool HasTensor(string tensorName) => slotOf.ContainsKey(tensorName);

    /// <summary>The tensor's shape in a probe run with batch size 1.</summary>
    internal long[] ProbedShape(string tensorName) =>
        slotOf.TryGetValue(tensorName, out var slot) && probedShapes[slot] is { } shape
            ? shape
            : throw new InvalidOperationException($"Tensor '{tensorName}' is not computed by the graph.");

    /// <summary>Multiplies the first input of the node whose first output is <paramref name="reader"/>, as that node reads it, from the next forward on.</summary>
    internal void SetInputMultiplier(string reader, Tensor? multiplier)
    {
        inputMultiplierByOutputSlot[SlotOf(reader)] = multiplier;
        runExported = fusedAwaySlots.Any(slot => inputMultiplierByOutputSlot[slot] is not null);
    }

    /// <summary>Multiplies a parameter element by element (same shape) wherever it is read, from the next forward on (L0 weight gates).</summary>
    internal void SetWeightMultiplier(string initializer, Tensor? multiplier) => weightMultiplierBySlot[SlotOf(initializer)] = multiplier;

    /// <summary>The gated first input of node <paramref name="reader"/> in the last forward when <see cref="CaptureGated"/> was set.</summary>
    internal Tensor? Captured(string reader) => capturedBySlot[SlotOf(reader)];

    internal void ClearCaptured() => Array.Clear(capturedBySlot);

    private GraphValue Value(int slot) => fixedValues[slot].Tensor is null && fixedValues[slot].Ints is null ? slots[slot] : fixedValues[slot];

    private void LoadInitializers(OnnxGraph graph)
    {
        var realInitializers = graph.Model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var roles = InitializerRoles.Of(graph);
        foreach (var (name, proto) in graph.Initializers)
        {
            var type = (TensorProto.Types.DataType)proto.DataType;
            if (OnnxTensors.IsInteger(type))
            {
                fixedValues[SlotOf(name)] = GraphValue.Of(new HostInts(OnnxTensors.ToInt64s(proto), OnnxTensors.Dims(proto)));
                continue;
            }

            var value = tensor(OnnxTensors.ToFloats(proto), OnnxTensors.Dims(proto), dtype: ScalarType.Float32, device: Device).DetachFromDisposeScope();
            var role = realInitializers.Contains(name) ? roles.GetValueOrDefault(name, InitializerRole.Constant) : InitializerRole.Constant;
            switch (role)
            {
                case InitializerRole.Parameter:
                    var parameter = new Parameter(value, requires_grad: true);
                    parameter.DetachFromDisposeScope();
                    register_parameter($"p{trainable.Count}", parameter);
                    trainable[name] = parameter;
                    value = parameter;
                    break;
                case InitializerRole.Buffer:
                    register_buffer($"b{runningStatistics.Count}", value);
                    runningStatistics[name] = value;
                    break;
                default:
                    floatConstants[name] = value;
                    break;
            }
            fixedValues[SlotOf(name)] = GraphValue.Of(value);
        }
    }

    /// <summary>One compiled node per output a kernel computes (a Split's outputs each have their own).</summary>
    private IEnumerable<CompiledNode> Compile(NodeProto node)
    {
        var inputSlots = node.Input.Select(name => name.Length == 0 ? -1 : SlotOf(name)).ToArray();
        return KernelRegistry.Create(node, this, name => Graph.IsOutput(name) || Graph.ReadersOf(name).Count > 0).Select(k => new CompiledNode(k.Kernel, inputSlots, new GraphValue[inputSlots.Length], SlotOf(node.Output[k.Output])));
    }

    /// <summary>One run at batch size 1 in evaluation mode: checks the graph executes and records every tensor's shape.</summary>
    private void Probe()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < inputSlots.Length; i++)
            slots[inputSlots[i]] = GraphValue.Of(zeros([.. Graph.Inputs[i].Shape.Select(d => d < 0 ? 1 : d)], TorchType(Graph.Inputs[i].ElementType), device: Device));
        foreach (var node in exported)
        {
            for (var i = 0; i < node.Inputs.Length; i++)
                node.Inputs[i] = node.InputSlots[i] < 0 ? default : Value(node.InputSlots[i]);
            slots[node.OutputSlot] = node.Kernel(node.Inputs);
        }
        for (var slot = 0; slot < slots.Length; slot++)
            probedShapes[slot] = slots[slot].Tensor?.shape ?? slots[slot].Ints?.Shape ?? fixedValues[slot].Tensor?.shape;
        Array.Clear(slots);
    }

    /// <summary>The TorchSharp element type a graph input of <paramref name="type"/> is fed as.</summary>
    public static ScalarType TorchType(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Int64 => ScalarType.Int64,
        TensorProto.Types.DataType.Int32 => ScalarType.Int32,
        TensorProto.Types.DataType.Bool => ScalarType.Bool,
        _ => ScalarType.Float32,
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var constant in floatConstants.Values)
                constant.Dispose();
        base.Dispose(disposing);
    }

    private sealed record CompiledNode(Kernel Kernel, int[] InputSlots, GraphValue[] Inputs, int OutputSlot);
}
