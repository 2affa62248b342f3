using Shears.Domain.Graph;
using Shears.Domain.Jobs;
using Shears.Domain.Onnx;
using Shears.Worker.Data;
using Shears.Worker.Engine;
using Shears.Worker.Engine.Graph;
using Shears.Worker.Engine.Methods.L0;
using static TorchSharp.torch;

namespace Shears.Worker.Tests.L0;

/// <summary>
/// A fixture network in a pruning session whose L0 gates have random log α in [−3, 3] (channel 0 of
/// every group held open): a mix of closed, fractional and open test-time gates, without training.
/// With <c>granularity: "weight"</c> the gates are <see cref="WeightGates"/>, log α in [−4, 4].
/// </summary>
internal sealed class RandomGates : IDisposable
{
    public RandomGates(string network, int seed, string granularity = "channel")
    {
        Graph = OnnxGraph.Parse(Fixtures.Network(network));
        Groups = ChannelGroupAnalysis.Find(Graph).Groups;
        var options = new PruningOptions { ValidationFraction = 0.5, Granularity = granularity };
        Module = new GraphModule(Graph, CPU);
        Data = new TrainingData(Fixtures.Train2k(200), Graph.Inputs, options, CPU);
        Session = new PruningSession(Graph, Groups, Module, Data, new PruningTarget(null, null), options, new RecordingProgress(), CancellationToken.None);
        var random = new Random(seed);
        if (granularity == "weight")
        {
            WeightGates = new WeightGates(Session, new HardConcrete());
            WeightGates.SetLogAlpha([.. Enumerable.Range(0, (int)WeightGates.Count).Select(_ => (float)(random.NextDouble() * 8 - 4))]);
            return;
        }
        Gates = new L0Gates(Session, new HardConcrete());
        foreach (var group in Groups)
            Gates.SetLogAlpha(group.Id, [.. Enumerable.Range(0, group.Channels).Select(k => k == 0 ? 3f : (float)(random.NextDouble() * 6 - 3))]);
    }

    public OnnxGraph Graph { get; }
    public IReadOnlyList<ChannelGroup> Groups { get; }
    public GraphModule Module { get; }
    public TrainingData Data { get; }
    public PruningSession Session { get; }
    public L0Gates Gates { get; } = null!;
    public WeightGates WeightGates { get; } = null!;

    public void Dispose()
    {
        Gates?.Dispose();
        WeightGates?.Dispose();
        Session.Dispose();
        Data.Dispose();
        Module.Dispose();
    }
}
