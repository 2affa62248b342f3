using Shears.Worker.Engine;
using Shears.Worker.Engine.Training;
using static TorchSharp.torch;

namespace Shears.Worker.Tests;

public class LossTests
{
    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    public void A_graph_ending_in_softmax_gets_the_same_loss_as_raw_logits(string outputOp)
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 2f, -1f, 0.5f, 0.1f, 3f, -2f }, [2, 3]);
        var labels = tensor(new long[] { 0, 1 });
        var output = outputOp == "Softmax" ? logits.softmax(1) : nn.functional.log_softmax(logits, 1);

        var expected = Trainer.LossFor("Gemm")(logits, labels).item<float>();
        var actual = Trainer.LossFor(outputOp)(output, labels).item<float>();

        Assert.Equal(expected, actual, 1e-5f);
    }
}
