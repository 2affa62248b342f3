using System.Runtime.InteropServices;
using Shears.Domain.Onnx;
using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>
/// The graph's Add under garbage collection: TorchSharp's <c>a + b</c> hands libtorch a temporary Scalar that a collection
/// can free during the call (with a + b in the kernel, 15,000 adds here failed dozens of times with libtorch's
/// "Expected false to be true" from Scalar::toFloat).
/// </summary>
public class LiveScalarsTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void Residual_adds_survive_collections_running_beside_them()
    {
        var b = new OnnxBuilder([-1, 8, 28, 28]);
        var graph = OnnxGraph.Parse(b.Build(b.Node("Add", [b.Input, b.Weight(1, 8, 28, 28)])));
        using var module = new GraphModule(graph, CPU);
        using var input = rand(64, 8, 28, 28);
        var stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        var failures = new List<string>();
        try
        {
            using var noGrad = no_grad();
            for (var i = 0; i < 150; i++)
            {
                using var scope = NewDisposeScope();
                for (var j = 0; j < 100; j++)
                {
                    try
                    {
                        module.forward(input);
                    }
                    catch (ExternalException e)
                    {
                        failures.Add(e.Message.Split('\n')[0]);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        Assert.Empty(failures);
    }
}
