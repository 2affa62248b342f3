using Shears.Domain.Onnx;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Graph;

/// <summary>BatchNormalization, LayerNormalization, Dropout and (Log)Softmax: the ops whose behaviour depends on mode or opset.</summary>
internal static class NormalizationKernels
{
    public static IEnumerable<(string, KernelBuilder)> All =>
    [
        ("BatchNormalization", BatchNormalization),
        ("InstanceNormalization", InstanceNormalization),
        ("LayerNormalization", LayerNormalization),
        ("Dropout", Dropout),
        ("Softmax", Softmax),
        ("LogSoftmax", Softmax),
    ];

    /// <summary>
    /// Training mode uses batch statistics and updates the running ones in place (the running mean
    /// and variance inputs are the module's buffers). ONNX momentum weighs the old value
    /// (running = running·m + batch·(1 − m)); PyTorch's weighs the new one.
    /// </summary>
    private static Kernel BatchNormalization(NodeProto node, IKernelContext context)
    {
        var epsilon = node.FloatAttribute("epsilon", 1e-5f);
        var momentum = 1.0 - node.FloatAttribute("momentum", 0.9f);
        return inputs => GraphValue.Of(nn.functional.batch_norm(
            inputs[0].Tensor!, inputs[3].Tensor!, inputs[4].Tensor!, inputs[1].Tensor!, inputs[2].Tensor!,
            context.Training, momentum, epsilon));
    }

    /// <summary>Normalizes each example's channel over its spatial axes, then scales and shifts per channel.</summary>
    private static Kernel InstanceNormalization(NodeProto node, IKernelContext context)
    {
        // Captured by the kernel, so it lives as long as it (see LiveScalars).
        var epsilon = node.FloatAttribute("epsilon", 1e-5f).ToScalar();
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var spatial = Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();
            var perChannel = (long[])[-1, .. spatial.Select(_ => 1L)];
            var mean = x.mean(spatial, keepdim: true);
            var variance = x.var(spatial, unbiased: false, keepdim: true);
            var normalized = x.sub(mean).div(variance.add(epsilon, LiveScalars.One).sqrt());
            return GraphValue.Of(normalized.mul(inputs[1].Tensor!.reshape(perChannel)).add(inputs[2].Tensor!.reshape(perChannel), LiveScalars.One));
        };
    }

    /// <summary>Normalizes over the axes from <c>axis</c> (default −1) to the last; scale and bias span those axes.</summary>
    private static Kernel LayerNormalization(NodeProto node, IKernelContext context)
    {
        var axis = node.IntAttribute("axis", -1);
        var epsilon = node.FloatAttribute("epsilon", 1e-5f);
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var first = (int)(axis < 0 ? axis + x.dim() : axis);
            return GraphValue.Of(nn.functional.layer_norm(x, x.shape[first..], inputs[1].Tensor, inputs.Length > 2 ? inputs[2].Tensor : null, epsilon));
        };
    }

    /// <summary>Active only in training mode; the ratio is an attribute before opset 12 and a constant input after.</summary>
    private static Kernel Dropout(NodeProto node, IKernelContext context)
    {
        var ratio = context.Opset < 12 || node.Input.Count < 2 || node.Input[1].Length == 0
            ? node.FloatAttribute("ratio", 0.5f)
            : context.ConstantScalar(node.Input[1]) ?? throw new NotSupportedException($"{node.Describe()}: the dropout ratio must be a constant.");
        return inputs => context.Training && ratio > 0
            ? GraphValue.Of(nn.functional.dropout(inputs[0].Tensor!, ratio, training: true))
            : inputs[0];
    }

    /// <summary>Before opset 13 (Log)Softmax flattens to 2-D at the axis (default 1); from 13 it works on one axis (default −1).</summary>
    private static Kernel Softmax(NodeProto node, IKernelContext context)
    {
        var log = node.OpType == "LogSoftmax";
        Func<Tensor, long, Tensor> apply = log ? (x, d) => nn.functional.log_softmax(x, d) : (x, d) => x.softmax(d);
        if (context.Opset >= 13)
        {
            var axis = node.IntAttribute("axis", -1);
            return inputs => GraphValue.Of(apply(inputs[0].Tensor!, axis));
        }

        var coercedAxis = node.IntAttribute("axis", 1);
        return inputs =>
        {
            var x = inputs[0].Tensor!;
            var axis = coercedAxis < 0 ? coercedAxis + x.dim() : coercedAxis;
            if (axis == x.dim() - 1)
                return GraphValue.Of(apply(x, -1));
            var shape = x.shape;
            long outer = 1;
            for (var i = 0; i < axis; i++)
                outer *= shape[i];
            return GraphValue.Of(apply(x.reshape(outer, -1), 1).reshape(shape));
        };
    }
}
