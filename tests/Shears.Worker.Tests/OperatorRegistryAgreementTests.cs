using Shears.Domain.Operators;
using Shears.Worker.Engine.Graph;

namespace Shears.Worker.Tests;

/// <summary>What inspection accepts the engine executes, and the other way round: the two registries name the same operators.</summary>
public class OperatorRegistryAgreementTests
{
    [Fact]
    public void Every_operator_with_domain_facts_has_a_kernel_and_every_kernel_has_domain_facts()
    {
        // Constant nodes are not executed: the graph reads their values as initializers.
        var withFacts = OperatorRegistry.Names.Where(n => n != "Constant").Order().ToList();
        var withKernels = KernelRegistry.Names.Order().ToList();
        Assert.Equal(withFacts, withKernels);
    }
}
