using Shears.Domain.Onnx;
using Onnx;
using TorchSharp;

namespace Shears.Worker.Engine.Graph;

/// <summary>One compiled ONNX node: reads its inputs (missing optional inputs are default) and returns its first output.</summary>
internal delegate GraphValue Kernel(GraphValue[] inputs);

/// <summary>What a kernel may ask of the module that runs it.</summary>
internal interface IKernelContext
{
    /// <summary>True in training mode (batch statistics, active dropout).</summary>
    bool Training { get; }

    torch.Device Device { get; }

    long Opset { get; }

    /// <summary>The value of a constant scalar tensor (a Clip bound, a pad value), read once at compile time.</summary>
    float? ConstantScalar(string tensorName);
}

/// <summary>Compiles ONNX nodes into TorchSharp kernels.</summary>
internal static class KernelFactory
{
    public static readonly IReadOnlySet<string> SupportedOps = new HashSet<string>
    {
        "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
        "Clip", "HardSigmoid", "HardSwish", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Shape",
        "Gather", "Unsqueeze", "Squeeze", "Concat", "Transpose", "Pad", "Dropout", "Identity", "Softmax", "LogSoftmax", "Cast",
    };

    public static Kernel Create(NodeProto node, IKernelContext context) => node.OpType switch
    {
        "Gemm" => LinearKernels.Gemm(node),
        "MatMul" => LinearKernels.MatMul(),
        "Conv" => ConvolutionKernels.Conv(node),
        "MaxPool" => ConvolutionKernels.MaxPool(node),
        "AveragePool" => ConvolutionKernels.AveragePool(node),
        "GlobalAveragePool" => ConvolutionKernels.GlobalAveragePool(),
        "Add" or "Sub" or "Mul" or "Div" => ArithmeticKernels.Binary(node.OpType, context),
        "BatchNormalization" => NormalizationKernels.BatchNormalization(node, context),
        "Dropout" => NormalizationKernels.Dropout(node, context),
        "Softmax" or "LogSoftmax" => NormalizationKernels.Softmax(node, context),
        "Relu" or "LeakyRelu" or "Sigmoid" or "Tanh" or "Clip" or "HardSigmoid" or "HardSwish" => ActivationKernels.Create(node, context),
        "Flatten" or "Reshape" or "Shape" or "Gather" or "Unsqueeze" or "Squeeze" or "Concat" or "Transpose" or "Pad" or "Cast" or "Identity"
            => ShapeKernels.Create(node, context),
        _ => throw new NotSupportedException($"{node.Describe()}: the op {node.OpType} is not supported by the training engine."),
    };
}
