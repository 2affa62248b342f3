using System.Diagnostics;
using System.Text.Json;

namespace Shears.Bench;

/// <summary>What bench/pytorch_step.py measured: the step cost, the torch version, the loss of the first batch before any step, and the BLAS library it ran on.</summary>
internal sealed record PyTorchResult(StepCost Cost, string Version, double FirstLoss, string Blas);

/// <summary>
/// The PyTorch side of the step timings: bench/pytorch_step.py run once (one round) with the given arguments. Null with a
/// printed note when it cannot run here (python3-torch or python3-onnx missing, or a network the script does not rebuild),
/// so the rest of the bench goes on.
/// </summary>
internal static class PyTorchStep
{
    /// <param name="environment">Variables set for the script alone (OPENBLAS_NUM_THREADS, LD_LIBRARY_PATH to an optimised BLAS).</param>
    public static PyTorchResult? Run(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["bench/pytorch_step.py", .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var reason = errors.Result.Trim().Split('\n')[^1];
                Console.WriteLine($"  note: PyTorch step skipped — bench/pytorch_step.py failed ({reason}); it needs python3-torch and python3-onnx and rebuilds LeNet-5-Caffe, the zoo's vit and bert only.");
                return null;
            }
            using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            var result = json.RootElement;
            return new PyTorchResult(new StepCost(result.GetProperty("median_ms").GetDouble(), result.GetProperty("cpu_ms").GetDouble()),
                result.GetProperty("torch").GetString() ?? "", result.GetProperty("first_loss").GetDouble(), result.GetProperty("blas").GetString() ?? "");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"  note: PyTorch step skipped — /usr/bin/python3 could not start ({e.Message}).");
            return null;
        }
    }
}
