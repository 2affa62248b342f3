using Shears.Domain.Onnx;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>Ops that move data around without arithmetic; host integers stay on the host.</summary>
internal static class ShapeKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("Identity", (_, _) => inputs => inputs[0]),
        ("Flatten", (node, _) => Flatten(node.IntAttribute("axis", 1))),
        ("Reshape", (node, _) => Reshape(node.IntAttribute("allowzero", 0) != 0)),
        ("Shape", (node, _) => Shape(node.IntAttribute("start", 0), node.Has("end") ? node.IntAttribute("end", 0) : null)),
        ("Gather", (node, context) => Gather(node.IntAttribute("axis", 0), context)),
        ("Unsqueeze", (node, context) => Unsqueeze(AxesAttribute(node, context))),
        ("Squeeze", (node, context) => Squeeze(AxesAttribute(node, context))),
        ("Concat", (node, context) => Concat(node.IntAttribute("axis", 0), context)),
        ("Transpose", (node, _) => Transpose(node.IntsAttribute("perm"))),
        ("Pad", Pad),
        ("Cast", Cast),
        ("Slice", Slice),
        ("ConstantOfShape", ConstantOfShape),
        ("Range", (_, _) => Range),
    ];

    /// <summary>Integer bounds (positions from a sequence length) stay on the host.</summary>
    private static GraphValue Range(GraphValue[] inputs)
    {
        var (start, limit, delta) = (inputs[0].AsInts().Data[0], inputs[1].AsInts().Data[0], inputs[2].AsInts().Data[0]);
        return GraphValue.Of(HostInts.Vector(RangeValues.Of(start, limit, delta)));
    }

    /// <summary>Indices computed on the device (token ids into an embedding): negative ones count from the end.</summary>
    private static Tensor GatherComputed(Tensor x, long axis, Tensor indices)
    {
        var dim = axis < 0 ? axis + x.dim() : axis;
        using var scope = NewDisposeScope();
        var flat = indices.to_type(ScalarType.Int64).flatten();
        flat = where(flat < 0, flat + x.shape[dim], flat);
        var shape = x.shape.Take((int)dim).Concat(indices.shape).Concat(x.shape.Skip((int)dim + 1)).ToArray();
        return x.index_select(dim, flat).reshape(shape).MoveToOuterDisposeScope();
    }

    private static Kernel Flatten(long axis) => inputs =>
    {
        var x = inputs[0].Tensor!;
        var at = axis < 0 ? axis + x.dim() : axis;
        long outer = 1;
        for (var i = 0; i < at; i++)
            outer *= x.shape[i];
        return GraphValue.Of(x.reshape(outer, -1));
    };

    private static Kernel Reshape(bool allowZero) => inputs =>
    {
        var target = (long[])inputs[1].AsInts().Data.Clone();
        if (inputs[0].Ints is { } ints)
            return GraphValue.Of(ints with { Shape = [.. target.Select(d => d == -1 ? ints.Data.Length / Math.Max(1, target.Where(t => t > 0).Aggregate(1L, (a, t) => a * t)) : d)] });
        var x = inputs[0].Tensor!;
        if (!allowZero)
            for (var i = 0; i < target.Length; i++)
                if (target[i] == 0)
                    target[i] = x.shape[i];
        return GraphValue.Of(x.reshape(target));
    };

    private static Kernel Shape(long start, long? end) => inputs =>
    {
        var shape = inputs[0].Tensor?.shape ?? inputs[0].Ints!.Shape;
        var from = (int)(start < 0 ? start + shape.Length : start);
        var to = (int)(end is { } e ? (e < 0 ? e + shape.Length : Math.Min(e, shape.Length)) : shape.Length);
        return GraphValue.Of(HostInts.Vector(shape[from..to]));
    };

    private static Kernel Gather(long axis, IKernelContext context) => inputs =>
    {
        if (inputs[1].Tensor is { } computed)
            return GraphValue.Of(GatherComputed(inputs[0].AsTensor(context.Device), axis, computed));
        var indices = inputs[1].AsInts();
        if (inputs[0].Ints is { } data)
        {
            if (data.Shape.Length != 1 || axis != 0)
                throw new NotSupportedException("Gather on host integers supports 1-D data only.");
            var picked = new long[indices.Data.Length];
            for (var i = 0; i < picked.Length; i++)
                picked[i] = data.Data[indices.Data[i] < 0 ? indices.Data[i] + data.Data.Length : indices.Data[i]];
            return GraphValue.Of(new HostInts(picked, indices.Shape));
        }

        var x = inputs[0].Tensor!;
        var dim = axis < 0 ? axis + x.dim() : axis;
        if (indices.Shape.Length == 0)
        {
            var index = indices.Data[0];
            return GraphValue.Of(x.select(dim, index < 0 ? index + x.shape[dim] : index));
        }
        using var index1d = tensor(indices.Data, dtype: ScalarType.Int64, device: context.Device);
        var gathered = x.index_select(dim, index1d);
        if (indices.Shape.Length == 1)
            return GraphValue.Of(gathered);
        var shape = x.shape.Take((int)dim).Concat(indices.Shape).Concat(x.shape.Skip((int)dim + 1)).ToArray();
        return GraphValue.Of(gathered.reshape(shape));
    };

    /// <summary>Axes come from the attribute before opset 13 and from input 1 after.</summary>
    private static Func<GraphValue[], long[]?> AxesAttribute(NodeProto node, IKernelContext context)
    {
        if (context.Opset < 13)
        {
            var axes = node.IntsAttribute("axes");
            return _ => axes;
        }
        return inputs => inputs.Length > 1 && inputs[1].Ints is { } a ? a.Data : null;
    }

    private static Kernel Unsqueeze(Func<GraphValue[], long[]?> axesOf) => inputs =>
    {
        var axes = axesOf(inputs) ?? throw new NotSupportedException("Unsqueeze needs axes.");
        var value = inputs[0];
        var rank = (value.Ints?.Shape.Length ?? value.Tensor!.dim()) + axes.Length;
        var sorted = axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
        if (value.Ints is { } ints)
        {
            var shape = ints.Shape.ToList();
            foreach (var axis in sorted)
                shape.Insert((int)axis, 1);
            return GraphValue.Of(ints with { Shape = [.. shape] });
        }
        var x = value.Tensor!;
        foreach (var axis in sorted)
            x = x.unsqueeze(axis);
        return GraphValue.Of(x);
    };

    private static Kernel Squeeze(Func<GraphValue[], long[]?> axesOf) => inputs =>
    {
        var value = inputs[0];
        var shape = value.Ints?.Shape ?? value.Tensor!.shape;
        var axes = axesOf(inputs)?.Select(a => a < 0 ? a + shape.Length : a).ToHashSet()
            ?? Enumerable.Range(0, shape.Length).Where(i => shape[i] == 1).Select(i => (long)i).ToHashSet();
        var kept = shape.Where((_, i) => !axes.Contains(i)).ToArray();
        return value.Ints is { } ints
            ? GraphValue.Of(ints with { Shape = kept })
            : GraphValue.Of(value.Tensor!.reshape(kept));
    };

    private static Kernel Concat(long axis, IKernelContext context) => inputs =>
    {
        var allHost = true;
        foreach (var input in inputs)
            allHost &= input.IsHost;
        if (allHost)
            return GraphValue.Of(HostInts.Vector(inputs.SelectMany(i => i.Ints!.Data).ToArray()));
        var tensors = new Tensor[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
            tensors[i] = inputs[i].AsTensor(context.Device);
        return GraphValue.Of(cat(tensors, axis));
    };

    private static Kernel Transpose(long[]? perm) => inputs =>
    {
        var x = inputs[0].Tensor!;
        return GraphValue.Of(x.permute(perm ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray()));
    };

    /// <summary>ONNX pads are [begins…, ends…] per dimension; torch wants (begin, end) pairs from the last dimension.</summary>
    private static Kernel Pad(NodeProto node, IKernelContext context)
    {
        var mode = node.StringAttribute("mode", "constant") switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            var other => throw new NotSupportedException($"{node.Describe()}: pad mode '{other}' is not supported."),
        };
        var attributePads = context.Opset < 11 ? node.IntsAttribute("pads") : null;
        var fill = context.Opset < 11
            ? node.FloatAttribute("value", 0f)
            : node.Input.Count > 2 && node.Input[2].Length > 0 ? context.ConstantScalar(node.Input[2]) ?? 0f : 0f;
        return inputs =>
        {
            var pads = attributePads ?? inputs[1].AsInts().Data;
            if (inputs.Length > 3 && inputs[3].Ints is { } axes)
                pads = ShapeArithmetic.PadsOnAllAxes(pads, axes.Data, (int)inputs[0].Tensor!.dim());
            var rank = pads.Length / 2;
            var outermost = 0;
            while (outermost < rank && pads[outermost] == 0 && pads[rank + outermost] == 0)
                outermost++;
            // libtorch's reflect and replicate pads take the axes after the first one or two, not fewer.
            if (mode != PaddingModes.Constant)
                outermost = Math.Min(outermost, 2);
            var torchPads = new long[2 * (rank - outermost)];
            for (var d = outermost; d < rank; d++)
            {
                torchPads[2 * (rank - 1 - d)] = pads[d];
                torchPads[2 * (rank - 1 - d) + 1] = pads[rank + d];
            }
            return GraphValue.Of(torchPads.Length == 0 ? inputs[0].Tensor! : nn.functional.pad(inputs[0].Tensor!, torchPads, mode, fill));
        };
    }

    private static Kernel Cast(NodeProto node, IKernelContext context)
    {
        var to = (TensorProto.Types.DataType)node.IntAttribute("to", (long)TensorProto.Types.DataType.Float);
        return to switch
        {
            TensorProto.Types.DataType.Bool => inputs => inputs[0].IsHost
                ? GraphValue.Of(inputs[0].Ints! with { Data = [.. inputs[0].Ints!.Data.Select(v => v != 0 ? 1L : 0L)] })
                : GraphValue.Of(inputs[0].Tensor!.to(ScalarType.Bool)),
            _ when OnnxTensors.IsInteger(to) => inputs =>
                inputs[0].IsHost ? inputs[0] : GraphValue.Of(inputs[0].Tensor!.to(ScalarType.Int64)),
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double => inputs => inputs[0].IsHost
                ? GraphValue.Of(tensor(inputs[0].Ints!.Data.Select(v => (float)v).ToArray(), device: context.Device).reshape(inputs[0].Ints!.Shape))
                : GraphValue.Of(inputs[0].Tensor!.to(ScalarType.Float32)),
            _ => throw new NotSupportedException($"{node.Describe()}: Cast to {to} is not supported."),
        };
    }

    /// <summary>Starts, ends, axes and steps are attributes before opset 10 and host integers after; negative steps walk backwards.</summary>
    private static Kernel Slice(NodeProto node, IKernelContext context)
    {
        var fromAttributes = node.Has("starts");
        return inputs =>
        {
            var starts = fromAttributes ? node.IntsAttribute("starts")! : inputs[1].AsInts().Data;
            var ends = fromAttributes ? node.IntsAttribute("ends")! : inputs[2].AsInts().Data;
            var axes = fromAttributes ? node.IntsAttribute("axes") : inputs.Length > 3 ? inputs[3].Ints?.Data : null;
            var steps = !fromAttributes && inputs.Length > 4 ? inputs[4].Ints?.Data : null;
            var value = inputs[0];
            var x = value.AsTensor(context.Device);
            for (var i = 0; i < starts.Length; i++)
            {
                var axis = axes is null ? i : axes[i] < 0 ? axes[i] + x.dim() : axes[i];
                var step = steps?[i] ?? 1;
                var (first, count) = SliceBounds.Resolve(x.shape[axis], starts[i], ends[i], step);
                if (step > 0)
                {
                    x = x.slice(axis, first, first + (count * step), step);
                    continue;
                }
                var picks = new long[count];
                for (var k = 0; k < count; k++)
                    picks[k] = first + (k * step);
                using var index = tensor(picks, dtype: ScalarType.Int64, device: context.Device);
                x = x.index_select(axis, index);
            }
            return value.IsHost ? GraphValue.Of(new HostInts(x.cpu().data<long>().ToArray(), x.shape)) : GraphValue.Of(x);
        };
    }

    /// <summary>A tensor of the given shape filled with the value attribute (0.0 float by default); integer fills stay on the host.</summary>
    private static Kernel ConstantOfShape(NodeProto node, IKernelContext context)
    {
        var fill = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        var isInteger = fill is not null && OnnxTensors.IsInteger(fill);
        var integer = isInteger ? OnnxTensors.ToInt64s(fill!)[0] : 0;
        // A Scalar captured by the kernel lives as long as it (see LiveScalars).
        var real = (fill is not null && !isInteger ? OnnxTensors.ToFloats(fill)[0] : 0f).ToScalar();
        return inputs =>
        {
            var shape = inputs[0].AsInts().Data;
            var count = shape.Aggregate(1L, (a, d) => a * d);
            return isInteger
                ? GraphValue.Of(new HostInts([.. Enumerable.Repeat(integer, (int)count)], shape))
                : GraphValue.Of(full(shape, real, dtype: ScalarType.Float32, device: context.Device));
        };
    }
}
