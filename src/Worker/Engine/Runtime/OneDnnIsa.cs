using System.Runtime.InteropServices;

namespace Shears.Worker.Engine.Runtime;

/// <summary>
/// Holds oneDNN (libtorch's CPU convolution kernels) to SSE4.1 unless the operator set <c>DNNL_MAX_CPU_ISA</c>, which
/// makes it compute convolutions as im2col + GEMM instead of its direct blocked kernels. On this project's AMD EPYC
/// machines (AVX-512) the direct kernels are wrong when a convolution's input channels do not fill their block
/// (LeNet's conv2, 20 channels: off by 0.69 from PyTorch 1.13 and ONNX Runtime with the AVX2 kernels, 0.46 with
/// AVX-512; 3e-6 through GEMM) and vary between runs, which turned training into NaN (tiny_cnn fine-tuning 5 of 6
/// runs, small ResNet training 2 of 6). oneDNN reads the variable once, when it first picks a kernel, through the C
/// library: .NET's Environment.SetEnvironmentVariable does not reach it on Linux, hence setenv. Called when the first
/// <see cref="Graph.GraphModule"/> is built: every network the engine trains is one, and nothing before it runs a
/// convolution.
/// </summary>
internal static class OneDnnIsa
{
    private const string Variable = "DNNL_MAX_CPU_ISA";

    public static void LimitToGemmConvolutionsUnlessSet()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetEnvironment(Variable, "SSE41", overwrite: 0);
        }
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
