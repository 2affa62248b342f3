using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>The ONNX operators (default domain) Shears can infer shapes for, cost, execute and prune around.</summary>
public static class SupportedOps
{
    /// <summary>Operators that read and write one float tensor of the same shape, element by element.</summary>
    public static readonly IReadOnlySet<string> Elementwise = new HashSet<string>
    {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish", "Dropout", "Identity", "Cast",
    };

    /// <summary>Binary operators with numpy-style broadcasting.</summary>
    public static readonly IReadOnlySet<string> Broadcasting = new HashSet<string> { "Add", "Sub", "Mul", "Div" };

    public static readonly IReadOnlySet<string> All = new HashSet<string>(Elementwise.Concat(Broadcasting))
    {
        "Gemm", "MatMul", "Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool",
        "Flatten", "Reshape", "Transpose", "Pad", "Concat", "Softmax", "LogSoftmax",
        "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Slice", "ConstantOfShape",
    };

    public static bool IsSupported(NodeProto node) =>
        (string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx") && All.Contains(node.OpType);

    /// <summary>How an operator is named to a user: its type, prefixed by its domain when not the default.</summary>
    public static string Describe(NodeProto node) =>
        string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx" ? node.OpType : $"{node.Domain}:{node.OpType}";

    /// <summary>Distinct unsupported operator types of the graph, in order of first appearance.</summary>
    public static IReadOnlyList<string> Unsupported(IEnumerable<NodeProto> nodes) =>
        [.. nodes.Where(n => !IsSupported(n)).Select(Describe).Distinct()];
}
