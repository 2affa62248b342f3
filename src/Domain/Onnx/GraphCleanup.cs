using Onnx;

namespace Shears.Domain.Onnx;

/// <summary>Removes what a rewritten graph no longer uses.</summary>
public static class GraphCleanup
{
    /// <summary>Drops nodes whose outputs nothing reads (the old shape arithmetic), then unread initializers.</summary>
    public static void RemoveUnused(GraphProto graph)
    {
        var outputs = graph.Output.Select(o => o.Name).ToHashSet();
        bool removed;
        do
        {
            var read = graph.Node.SelectMany(n => n.Input).Concat(outputs).ToHashSet();
            var dead = graph.Node.Where(n => n.Output.All(o => !read.Contains(o))).ToList();
            foreach (var node in dead)
                graph.Node.Remove(node);
            removed = dead.Count > 0;
        }
        while (removed);

        var used = graph.Node.SelectMany(n => n.Input).Concat(outputs).ToHashSet();
        var unused = graph.Initializer.Where(t => !used.Contains(t.Name)).ToList();
        foreach (var tensor in unused)
            graph.Initializer.Remove(tensor);
        var unusedNames = unused.Select(t => t.Name).ToHashSet();
        foreach (var input in graph.Input.Where(i => unusedNames.Contains(i.Name)).ToList())
            graph.Input.Remove(input);
    }
}
