using Google.Protobuf;
using Onnx;
using Shears.Domain.Graph;

namespace Shears.Domain.Onnx;

/// <summary>
/// torch.onnx.export without <c>dynamic_axes</c> fixes the first axis of every input and output at the example's batch
/// (usually 1) and folds <c>x.view(x.size(0), -1)</c> into a constant Reshape target that starts with that batch. The axis
/// is made dynamic and such a target's leading batch becomes 0 (copy the input's first axis) where the graph then computes
/// the same at another batch, so a job can train and time it on batches; where it does not (a batch baked in elsewhere,
/// an Expand of a class token), the graph is left as it is and the inspection refuses it, asking for a dynamic export.
/// </summary>
public static class FixedBatch
{
    /// <summary>
    /// The model with the first axis of its data inputs (and of its outputs that state it) dynamic, or <paramref name="model"/>
    /// itself when some input's first axis is dynamic already, the inputs disagree, or the graph does not compute at another batch.
    /// </summary>
    public static ModelProto Relaxed(ModelProto model, ISet<string> initializers)
    {
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var batches = inputs.Select(FirstAxis).ToList();
        if (batches.Any(b => b is null or < 0) || batches.Distinct().Count() != 1)
            return model;

        // Any batch but the exported one shows a batch baked into the graph.
        var trialBatch = batches[0]!.Value + 1;
        var trial = WithBatch(model, inputs.Select(i => i.Name).ToHashSet(), batches[0]!.Value, trialBatch);
        try
        {
            var graph = OnnxGraph.FromModel(trial, relaxBatch: false);
            if (graph.Outputs.Any(o => graph.Shapes[o.Name] is not { Length: > 0 } shape || shape[0] != trialBatch))
                return model;
        }
        catch (InvalidModelException)
        {
            return model;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or IndexOutOfRangeException)
        {
            return model;
        }
        return WithBatch(model, inputs.Select(i => i.Name).ToHashSet(), batches[0]!.Value, null);
    }

    /// <summary>The file with its batch made dynamic as <see cref="Relaxed"/> does, or <paramref name="onnx"/> itself when nothing changed (to run the original in ONNX Runtime on batches).</summary>
    public static byte[] RelaxedBytes(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var relaxed = Relaxed(model, Constants(model));
        return ReferenceEquals(relaxed, model) ? onnx : relaxed.ToByteArray();
    }

    /// <summary>The names of the model's initializers and Constant outputs (graph inputs that are not data).</summary>
    public static HashSet<string> Constants(ModelProto model) =>
        [.. model.Graph.Initializer.Select(t => t.Name).Concat(model.Graph.Node.Where(n => n.OpType == "Constant").SelectMany(n => n.Output))];

    private static long? FirstAxis(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims ? dims[0].HasDimValue ? dims[0].DimValue : -1 : null;

    /// <summary>
    /// A copy whose data inputs and outputs have <paramref name="batch"/> as their first axis (null: a dynamic "batch"), and
    /// whose constant Reshape targets of activations copy the first axis where they held the <paramref name="exported"/> batch.
    /// </summary>
    private static ModelProto WithBatch(ModelProto model, HashSet<string> dataInputs, long exported, long? batch)
    {
        var copy = model.Clone();
        var constants = copy.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var node in copy.Graph.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1 && n.Attribute.Count == 1 && n.Attribute[0].T is not null))
            constants[node.Output[0]] = node.Attribute[0].T;
        foreach (var reshape in copy.Graph.Node.Where(n => n.OpType == "Reshape" && n.Input.Count == 2 && !constants.ContainsKey(n.Input[0])
                     && n.Attribute.All(a => a.Name != "allowzero" || a.I == 0)))
        {
            if (constants.GetValueOrDefault(reshape.Input[1]) is not { } target || !OnnxTensors.IsInteger(target)
                || OnnxTensors.ToInt64s(target) is not [var first, ..] values || first != exported)
                continue;
            values[0] = 0;
            var name = $"{reshape.Input[1]}_batch_copied";
            if (!constants.ContainsKey(name))
            {
                constants[name] = OnnxTensors.FromInt64s(name, [values.Length], values);
                copy.Graph.Initializer.Add(constants[name]);
            }
            reshape.Input[1] = name;
        }
        foreach (var value in copy.Graph.Input.Where(i => dataInputs.Contains(i.Name)).Concat(copy.Graph.Output.Where(o => FirstAxis(o) is not null)))
        {
            var first = value.Type.TensorType.Shape.Dim[0];
            if (batch is { } size)
                first.DimValue = size;
            else
                first.DimParam = "batch";
        }
        copy.Graph.ValueInfo.Clear(); // intermediate shapes recorded at the exported batch
        return copy;
    }
}
