using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

/// <summary>The optimizers with long-lived Scalars compute exactly what TorchSharp's own Adam and SGD compute.</summary>
public class ScalarSafeOptimizerTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void Steps_match_torchsharps_optimizer_bit_for_bit(string kind)
    {
        using var ours = new Parameter(randn(16, 8, generator: new Generator(5)));
        using var theirs = new Parameter(ours.detach().clone());
        using optim.Optimizer oursStep = kind == "adam" ? new ScalarSafeAdam([ours], 0.003) : new ScalarSafeSgd([ours], 0.01, momentum: 0.9);
        using optim.Optimizer theirsStep = kind == "adam" ? optim.Adam([theirs], 0.003) : optim.SGD([theirs], 0.01, momentum: 0.9);
        var target = randn(16, 8, generator: new Generator(6));

        for (var step = 0; step < 25; step++)
        {
            foreach (var (parameter, optimizer) in new[] { (ours, oursStep), (theirs, theirsStep) })
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                (parameter - target).square().sum().backward();
                optimizer.step();
            }
        }

        Assert.Equal(theirs.data<float>().ToArray(), ours.data<float>().ToArray());
    }
}
