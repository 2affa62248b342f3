using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>What each initializer is to training, from the operators that read it (<see cref="OperatorFacts.RoleOfInput"/>).</summary>
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
                roles[name] = roles.TryGetValue(name, out var other) && other > role ? other : role;
            }
        }
        return roles;
    }
}
