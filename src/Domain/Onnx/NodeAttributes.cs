using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>Typed access to ONNX node attributes with the operator's default when absent.</summary>
public static class NodeAttributes
{
    public static long IntAttribute(this NodeProto node, string name, long fallback) =>
        Find(node, name) is { } a ? a.I : fallback;

    public static float FloatAttribute(this NodeProto node, string name, float fallback) =>
        Find(node, name) is { } a ? a.F : fallback;

    public static string StringAttribute(this NodeProto node, string name, string fallback) =>
        Find(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>The INTS attribute, or null when the node does not have it.</summary>
    public static long[]? IntsAttribute(this NodeProto node, string name) =>
        Find(node, name) is { } a ? [.. a.Ints] : null;

    public static bool Has(this NodeProto node, string name) => Find(node, name) is not null;

    /// <summary>The node's display name: its name, or its first output when it has none.</summary>
    public static string DisplayName(this NodeProto node) =>
        !string.IsNullOrEmpty(node.Name) ? node.Name : node.Output.FirstOrDefault() ?? node.OpType;

    /// <summary>The node for messages: its op type and name, else its op type and first output.</summary>
    public static string Describe(this NodeProto node) =>
        string.IsNullOrEmpty(node.Name) ? $"{node.OpType} → {node.Output.FirstOrDefault()}" : $"{node.OpType} '{node.Name}'";

    /// <summary>Input <paramref name="index"/>, or "" when the node has fewer inputs (ONNX's "optional input absent").</summary>
    public static string InputOrEmpty(this NodeProto node, int index) =>
        index < node.Input.Count ? node.Input[index] : "";

    private static AttributeProto? Find(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name);
}
