using Shears.Worker.Engine.Graph;
using static TorchSharp.torch;

namespace Shears.Worker.Engine;

/// <summary>Classification accuracy on the held-out split, in evaluation mode, one dispose scope per batch.</summary>
public static class Evaluation
{
    public static double Accuracy(GraphModule module, TrainingData data, int batchSize = 500)
    {
        var wasTraining = module.training;
        module.eval();
        long correct = 0, total = 0;
        using (no_grad())
            foreach (var range in data.ValidationRanges(batchSize))
            {
                using var scope = NewDisposeScope();
                var (x, y) = data.ValidationBatch(range);
                correct += module.forward(x).argmax(1).eq(y).sum().item<long>();
                total += range.Count;
            }
        module.train(wasTraining);
        return total == 0 ? 0 : (double)correct / total;
    }
}
