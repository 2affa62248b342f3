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

    /// <summary>True when the tensor is a parameter training updates (its compile-time value does not last).</summary>
    bool IsTrained(string tensorName);
}

/// <summary>Compiles one node of an operator into a kernel (attributes are read once, here).</summary>
internal delegate Kernel KernelBuilder(NodeProto node, IKernelContext context);

/// <summary>Compiles output <c>output</c> of a node with several outputs (Split) into a kernel of its own.</summary>
internal delegate Kernel OutputKernelBuilder(NodeProto node, int output, IKernelContext context);
