using System.Runtime.InteropServices;

namespace Shears.Worker.Engine;

/// <summary>
/// Holds oneDNN (libtorch's CPU convolution kernels) to AVX2 unless the operator set <c>DNNL_MAX_CPU_ISA</c>. On this
/// project's AMD EPYC machines (AVX-512 with VP2INTERSECT) libtorch 2.10's AVX-512 kernels made tiny_cnn's seeded
/// fine-tuning reach a NaN loss in 5 of 6 runs, and vary from run to run; held to AVX2, 0 of 6. oneDNN reads the
/// variable once, when it first picks a kernel, through the C library: .NET's Environment.SetEnvironmentVariable does
/// not reach it on Linux, hence setenv. Called when the first <see cref="Graph.GraphModule"/> is built: every network the
/// engine trains is one, and nothing before it runs a convolution.
/// </summary>
internal static class OneDnnIsa
{
    private const string Variable = "DNNL_MAX_CPU_ISA";

    public static void LimitToAvx2UnlessSet()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetEnvironment(Variable, "AVX2", overwrite: 0);
        }
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnvironment([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
