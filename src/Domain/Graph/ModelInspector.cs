using System.Globalization;
using Shears.Domain.Onnx;
using Shears.Domain.Operators;

namespace Shears.Domain.Graph;

/// <summary>Upload-time inspection: parse, infer shapes, count cost, find channel groups.</summary>
public static class ModelInspector
{
    /// <summary>Oldest default-domain opset whose operator semantics Shears follows.</summary>
    public const long MinimumOpset = 7;

    /// <summary>The longest a dynamic token length is counted at upload while looking for one every window fits.</summary>
    private const int MaxTokenLength = 1024;

    /// <summary>
    /// Inspects an ONNX file. A model with unsupported operators is described (with them listed in
    /// <see cref="ModelInspection.UnsupportedOps"/>) but gets no FLOPs or groups.
    /// </summary>
    /// <exception cref="InvalidModelException">The file is not a usable ONNX model; the message says why.</exception>
    public static ModelInspection Inspect(byte[] onnx)
    {
        using var stream = new MemoryStream(onnx, writable: false);
        return Inspect(stream);
    }

    /// <inheritdoc cref="Inspect(byte[])"/>
    public static ModelInspection Inspect(Stream onnx)
    {
        try
        {
            var graph = OnnxGraph.Parse(onnx);
            InitializerValidation.EnsureUsable(graph);
            if (!SampleDimensions.AnyDynamic(graph))
                return Describe(graph);
            // A dynamic length is counted as 1 here; a token length (of integer ids and masks) also as the shortest power of two
            // every window fits (a TextCNN's width-5 convolution over time). The job counts the dataset's. The inputs are
            // described as declared.
            InvalidModelException? atOne = null; // the error with every length at 1
            for (var length = 1; length <= MaxTokenLength; length *= 2)
            {
                var tokens = length;
                try
                {
                    return Describe(SampleDimensions.Pin(graph, name => graph.Inputs.First(i => i.Name == name) is { IsInteger: true } ids
                        ? [.. ids.Shape.Skip(1).Select(d => d > 0 ? (int)d : tokens)]
                        : null)) with
                    {
                        Inputs = [.. graph.Inputs.Select(i => new TensorDescription(i.Name, i.Shape, i.ElementTypeName))],
                    };
                }
                catch (InvalidModelException e)
                {
                    atOne ??= e;
                    if (!graph.Inputs.Any(i => i.IsInteger && i.Shape.Skip(1).Any(d => d <= 0)))
                        break;
                }
            }
            throw new InvalidModelException($"{atOne!.Message} (its dynamic input dimensions were counted as 1; a dynamic height or width " +
                "needs the model exported with a fixed input size)");
        }
        catch (Exception e) when (e is not InvalidModelException and not OutOfMemoryException)
        {
            throw new InvalidModelException($"The model could not be analysed ({e.GetType().Name}: {e.Message}); check that it is a valid ONNX export.");
        }
    }

    public static ModelInspection Describe(OnnxGraph graph)
    {
        if (graph.Opset < MinimumOpset)
            throw new InvalidModelException($"The model uses ONNX opset {graph.Opset}; export it with opset {MinimumOpset} or later (torch.onnx.export(..., opset_version=13)).");
        // torch.onnx.export without dynamic_axes fixes the batch at the example's size and folds it into Reshape targets:
        // such a file inspected, then every job failed in the engine or ONNX Runtime on its first batch of 64.
        if (graph.Inputs.FirstOrDefault(i => i.Shape.Count > 0 && i.Shape[0] > 0) is { } fixedBatch)
            throw new InvalidModelException($"Input {fixedBatch.Describe()} has a fixed batch size of {fixedBatch.Shape[0]}; Shears trains, checks and " +
                $"times the network on batches of other sizes, so the first axis of every input must be dynamic. Export it with " +
                $"torch.onnx.export(..., dynamic_axes={{'{fixedBatch.Name}': {{0: 'batch'}}, <each output>: {{0: 'batch'}}}}).");
        var inputs = graph.Inputs.Select(i => new TensorDescription(i.Name, i.Shape, i.ElementTypeName)).ToList();
        var unsupported = OperatorRegistry.Unsupported(graph.Nodes);
        if (unsupported.Count > 0)
            return new ModelInspection(graph.Opset, inputs, [.. graph.Outputs.Select(o => new TensorDescription(o.Name, o.Shape, o.ElementTypeName))],
                CostModel.CountParameters(graph), 0, 0, unsupported, [], []);

        var kinds = OutputKinds.Of(graph);
        var outputs = graph.Outputs.Select((o, i) => new TensorDescription(o.Name, o.Shape.Count > 0 ? o.Shape : graph.Shapes[o.Name], o.ElementTypeName, kinds[i].ToWire())).ToList();
        var analysis = ChannelGroupAnalysis.Find(graph);
        var cost = CostModel.For(graph, analysis.Groups);
        var full = cost.Measure(null);
        var groups = analysis.Groups.Select(g => new GroupDescription(g.Id, g.Name, g.Channels,
            [.. g.Members.Select(Describe)],
            full.Flops == 0 ? 0 : (double)(full.Flops - cost.Measure(new Dictionary<int, int> { [g.Id] = 0 }).Flops) / full.Flops, g.UnitWidth)).ToList();
        return new ModelInspection(graph.Opset, inputs, outputs, full.Params, full.Flops, groups.Count, [], groups, analysis.Held);
    }

    /// <summary>E.g. "fc1.weight axis 1 (consumer, offset 16, blocks of 25)".</summary>
    private static string Describe(ParameterSlice slice)
    {
        var details = new List<string> { slice.Role.ToString().ToLowerInvariant() };
        if (slice.Offset != 0)
            details.Add(string.Create(CultureInfo.InvariantCulture, $"offset {slice.Offset}"));
        if (slice.BlockSize != 1)
            details.Add(string.Create(CultureInfo.InvariantCulture, $"blocks of {slice.BlockSize}"));
        return string.Create(CultureInfo.InvariantCulture, $"{slice.Initializer} axis {slice.Axis} ({string.Join(", ", details)})");
    }
}
