using Onnx;
using Shears.Domain.Graph;
using Shears.Domain.Onnx;

namespace Shears.Domain.Operators;

/// <summary>
/// Einsum as attention exports write it ("nqhd,nkhd->nhqk", "nhqk,nkhd->nqhd"): explicit letters, no ellipsis.
/// Its cost is a multiply-add per combination of all letters; heads pass when every operand carries them on the same letter.
/// </summary>
internal static class EinsumOperator
{
    public static OperatorFacts Facts => new("Einsum", Shape, Channels, Cost, followsHeads: true);

    /// <summary>The operands' subscripts and the result's (implicit: the letters used once, in alphabetical order).</summary>
    public static (IReadOnlyList<string> Terms, string Result) Equation(NodeProto node)
    {
        var equation = (node.Attribute.FirstOrDefault(a => a.Name == "equation")?.S.ToStringUtf8() ?? "").Replace(" ", "", StringComparison.Ordinal);
        if (equation.Contains("...", StringComparison.Ordinal) || equation.Length == 0)
            throw new InvalidModelException($"Einsum '{node.DisplayName()}' has the equation '{equation}'; Shears follows explicit subscripts without '...'.");
        var sides = equation.Split("->");
        var terms = sides[0].Split(',');
        var result = sides.Length > 1 ? sides[1]
            : string.Concat(terms.SelectMany(t => t).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key).Order());
        if (terms.Length != node.Input.Count || terms.Append(result).Any(t => !t.All(char.IsAsciiLetter)))
            throw new InvalidModelException($"Einsum '{node.DisplayName()}' has the equation '{equation}' for {node.Input.Count} operands.");
        return (terms, result);
    }

    /// <summary>Each letter's extent, checked to agree between operands (1 broadcasts; the batch, −1, matches anything).</summary>
    private static Dictionary<char, long> Extents(NodeProto node, IReadOnlyList<string> terms, Func<int, long[]> shape)
    {
        var extents = new Dictionary<char, long>();
        for (var i = 0; i < terms.Count; i++)
        {
            var dims = shape(i);
            if (dims.Length != terms[i].Length)
                throw new InvalidModelException($"Einsum '{node.DisplayName()}' gives operand {i} of rank {dims.Length} the subscripts '{terms[i]}'.");
            for (var d = 0; d < dims.Length; d++)
                extents[terms[i][d]] = extents.TryGetValue(terms[i][d], out var seen) && (dims[d] == 1 || (seen != 1 && dims[d] < 0)) ? seen : dims[d];
        }
        return extents;
    }

    private static void Shape(NodeProto node, ShapeContext c)
    {
        var (terms, result) = Equation(node);
        var extents = Extents(node, terms, i => c.Shape(node, i));
        c.Set(node, [.. result.Select(letter => extents[letter])]);
    }

    private static void Channels(NodeProto node, ChannelGroupAnalysis.Walk walk)
    {
        var (terms, result) = Equation(node);
        if (!HeadRules.EinsumOfActivations(node, walk, terms, result))
            walk.Opaque(node, $"Einsum '{node.DisplayName()}' mixes the channels of its operands");
    }

    /// <summary>2 × the product of every letter's extent (a batch counts 1) for a product of two or more operands; a single operand's rearrangement is free.</summary>
    private static FlopCount? Cost(NodeProto node, OnnxGraph graph)
    {
        if (node.Input.Count < 2)
            return null;
        var (terms, _) = Equation(node);
        var extents = Extents(node, terms, i => graph.Shapes[node.Input[i]]);
        return FlopCount.Constant(checked(2 * TensorShapes.ElementsPerExample([.. extents.Values])));
    }
}
