namespace Shears.Domain.Graph;

/// <summary>Upload-time inspection: parse, infer shapes, count cost, find groups. (Placeholder until the domain work lands.)</summary>
public static class ModelInspector
{
    /// <summary>Throws <see cref="InvalidModelException"/> for a malformed file.</summary>
    public static ModelInspection Inspect(byte[] onnx) => throw new NotImplementedException("Inspection has not landed yet.");
}
