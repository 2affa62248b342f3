using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>What each initializer is to training, from the operators that read it (<see cref="OperatorFacts.RoleOfInput"/>) and its rank.</summary>
public static class InitializerRoles
{
    /// <summary>Per initializer read by a node, its highest role among its readers (a tensor both trained and a bound is trained).</summary>
    public static IReadOnlyDictionary<string, InitializerRole> Of(OnnxGraph graph)
    {
        var roles = new Dictionary<string, InitializerRole>();
        foreach (var node in graph.Nodes)
        {
            var facts = OperatorRegistry.Find(node);
            for (var i = 0; i < node.Input.Count; i++)
            {
                var name = node.Input[i];
                if (name.Length == 0 || !graph.Initializers.ContainsKey(name))
                    continue;
                var role = facts?.RoleOfInput(i) ?? InitializerRole.Parameter;
                // A 0-D float is an exporter's constant (a norm's epsilon, GELU's 0.5, an attention scale), which
                // onnx-simplifier and PyTorch 2.x keep as initializers rather than Constant nodes: training it moved
                // BERT's LayerNorm epsilon below zero. A learned scalar (a temperature) then keeps its trained value.
                if (role == InitializerRole.Parameter && graph.Initializers[name].Dims.Count == 0)
                    role = InitializerRole.Constant;
                roles[name] = roles.TryGetValue(name, out var other) && other > role ? other : role;
            }
        }
        return roles;
    }
}
