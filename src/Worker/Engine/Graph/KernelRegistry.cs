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
            ArithmeticKernels.All,
            LinearKernels.All,
            ConvolutionKernels.All,
            NormalizationKernels.All,
            ShapeKernels.All,
        }.SelectMany(family => family).ToDictionary(k => k.Op, k => k.Build);

    /// <summary>Operators the engine executes (Constant nodes are not executed: their values are initializers).</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool Supports(NodeProto node) => node.OpType == "Constant" || ByName.ContainsKey(node.OpType);

    public static Kernel Create(NodeProto node, IKernelContext context) =>
        ByName.TryGetValue(node.OpType, out var build)
            ? build(node, context)
            : throw new NotSupportedException($"{node.Describe()}: the op {node.OpType} is not supported by the training engine.");
}
