using Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// The ONNX operators (default domain) Shears can infer shapes for, cost, execute and prune around:
/// one <see cref="OperatorFacts"/> entry per operator. Adding an operator is adding an entry here and a
/// kernel under the same name in the Worker's kernel registry.
/// </summary>
public static class OperatorRegistry
{
    private static readonly Dictionary<string, OperatorFacts> ByName =
        new IEnumerable<OperatorFacts>[]
        {
            ElementwiseOperators.All,
            ArithmeticOperators.All,
            LinearOperators.All,
            ConvolutionOperators.All,
            NormalizationOperators.All,
            ReductionOperators.All,
            ShapeOperators.All,
            DepthToSpaceOperators.All,
            [SplitOperator.Facts],
            [EinsumOperator.Facts],
            ResizeOperator.All,
            SelectionOperators.All,
            RecurrentOperators.All,
        }.SelectMany(family => family).ToDictionary(o => o.Name);

    /// <summary>Every supported operator type (Constant included).</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The facts of the node's operator, or null when Shears does not support it.</summary>
    public static OperatorFacts? Find(NodeProto node) =>
        IsDefaultDomain(node) ? ByName.GetValueOrDefault(node.OpType) : null;

    public static bool IsSupported(NodeProto node) => Find(node) is not null;

    /// <summary>How an operator is named to a user: its type, prefixed by its domain when not the default.</summary>
    public static string Describe(NodeProto node) =>
        IsDefaultDomain(node) ? node.OpType : $"{node.Domain}:{node.OpType}";

    /// <summary>Distinct unsupported operator types of the graph, in order of first appearance.</summary>
    public static IReadOnlyList<string> Unsupported(IEnumerable<NodeProto> nodes) =>
        [.. nodes.Where(n => !IsSupported(n)).Select(Describe).Distinct()];

    private static bool IsDefaultDomain(NodeProto node) => string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx";
}
