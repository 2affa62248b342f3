using Shears.Domain.Jobs;
using Xunit;

namespace Shears.Worker.Tests;

/// <summary>Theory data: every network of a list paired with every pruning method.</summary>
public static class EveryMethod
{
    public static TheoryData<string, PruningMethod> On(IEnumerable<string> networks)
    {
        var data = new TheoryData<string, PruningMethod>();
        foreach (var network in networks)
            foreach (var method in Enum.GetValues<PruningMethod>())
                data.Add(network, method);
        return data;
    }
}
