namespace Shears.Domain.Operators;

/// <summary>Operators that read one float tensor and write one of the same shape, element by element.</summary>
internal static class ElementwiseOperators
{
    public static IEnumerable<OperatorFacts> All =>
    [
        Unary("Relu"),
        Unary("LeakyRelu"),
        Unary("Sigmoid"),
        Unary("Tanh"),
        Unary("HardSigmoid"),
        Unary("HardSwish"),
        Unary("Identity"),
        Unary("Erf"),
        Unary("Gelu"),
        Unary("Sqrt"),
        Unary("Softplus"),
        Unary("Elu"),
        Unary("Selu"),
        Unary("Reciprocal"),
        Unary("Neg"),
        Unary("Abs"),
        Unary("Sign"),
        Unary("Exp"),
        Unary("Log"),
        Unary("Sin"),
        Unary("Cos"),
        Unary("Floor"),
        Unary("Ceil"),
        Unary("Mish"),
        Unary("Not"),
        Unary("Clip", constantInputs: [1, 2]),
        Unary("Dropout", constantInputs: [1, 2]),
    ];

    /// <summary>A pointwise operator; <paramref name="constantInputs"/> are its attribute-like inputs (bounds, ratios).</summary>
    public static OperatorFacts Unary(string name, int[]? constantInputs = null) =>
        new(name, (node, c) => c.Set(node, c.Shape(node, 0)), ChannelRules.Elementwise, constantInputs: constantInputs, followsHeads: true);
}
