using Onnx;

namespace Shears.Worker.Engine.Graph;

/// <summary>Typed reads of an ONNX node's attributes with the defaults the ONNX spec gives.</summary>
internal static class NodeAttributes
{
    public static long Int(this NodeProto node, string name, long fallback) =>
        Find(node, name) is { } a ? a.I : fallback;

    public static float Float(this NodeProto node, string name, float fallback) =>
        Find(node, name) is { } a ? a.F : fallback;

    public static string String(this NodeProto node, string name, string fallback) =>
        Find(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? Ints(this NodeProto node, string name) =>
        Find(node, name) is { } a ? [.. a.Ints] : null;

    public static bool Has(this NodeProto node, string name) => Find(node, name) is not null;

    /// <summary>The node's name for messages: its own name, else its op type and first output.</summary>
    public static string Describe(this NodeProto node) =>
        string.IsNullOrEmpty(node.Name) ? $"{node.OpType} → {node.Output.FirstOrDefault()}" : $"{node.OpType} '{node.Name}'";

    private static AttributeProto? Find(NodeProto node, string name)
    {
        foreach (var attribute in node.Attribute)
            if (attribute.Name == name)
                return attribute;
        return null;
    }
}
