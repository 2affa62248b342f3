using Onnx;
using Shears.Domain.Onnx;

namespace Shears.Worker.Engine.Graph;

/// <summary>
/// How each operator executes, by ONNX operator name: the Worker's half of an operator's facts
/// (shape, cost and channels are in the Domain's OperatorRegistry under the same name; a test checks
/// both name the same operators).
/// </summary>
internal static class KernelRegistry
{
    private static readonly Dictionary<string, KernelBuilder> ByName =
        new IEnumerable<(string Op, KernelBuilder Build)>[]
        {
            ActivationKernels.All,
            MathKernels.All,
            ArithmeticKernels.All,
            LinearKernels.All,
            ConvolutionKernels.All,
            DepthToSpaceKernels.All,
            NormalizationKernels.All,
            ReductionKernels.All,
            ResizeKernel.All,
            SelectionKernels.All,
            ShapeKernels.All,
        }.SelectMany(family => family).ToDictionary(k => k.Op, k => k.Build);

    /// <summary>Operators with several outputs: each output compiles to a kernel of its own.</summary>
    private static readonly Dictionary<string, OutputKernelBuilder> ByNameWithOutputs =
        new IEnumerable<(string Op, OutputKernelBuilder Build)>[]
        {
            SplitKernel.All,
            RecurrentKernels.All,
        }.SelectMany(family => family).ToDictionary(k => k.Op, k => k.Build);

    /// <summary>Operators the engine executes (Constant nodes are not executed: their values are initializers).</summary>
    public static IReadOnlyCollection<string> Names => [.. ByName.Keys, .. ByNameWithOutputs.Keys];

    public static bool Supports(NodeProto node) => node.OpType == "Constant" || ByName.ContainsKey(node.OpType) || ByNameWithOutputs.ContainsKey(node.OpType);

    /// <summary>The kernels of a node, each with the index of the output it computes (of several outputs, those <paramref name="isRead"/>).</summary>
    public static IEnumerable<(int Output, Kernel Kernel)> Create(NodeProto node, IKernelContext context, Func<string, bool> isRead)
    {
        if (ByName.TryGetValue(node.OpType, out var build))
            return [(0, build(node, context))];
        if (ByNameWithOutputs.TryGetValue(node.OpType, out var buildOutput))
            return node.Output.Select((name, i) => (name, i)).Where(o => o.name.Length > 0 && isRead(o.name)).Select(o => (o.i, buildOutput(node, o.i, context))).ToList();
        throw new NotSupportedException($"{node.Describe()}: the op {node.OpType} is not supported by the training engine.");
    }
}
