namespace Shears.Domain.Graph;

/// <summary>What upload-time inspection tells a user about a model (the REST <c>inspection</c> object).</summary>
public sealed record ModelInspection(
    long Opset,
    IReadOnlyList<TensorDescription> Inputs,
    IReadOnlyList<TensorDescription> Outputs,
    long Params,
    long Flops,
    int PrunableGroups,
    IReadOnlyList<string> UnsupportedOps,
    IReadOnlyList<GroupDescription> Groups,
    IReadOnlyList<HeldTensor> Held);

/// <summary>
/// A graph input or output: name, element type (float32, int64, int32, bool) and shape with -1 for a dynamic dimension (the
/// batch); for an output, its <see cref="OutputKind"/> as <c>classes</c> or <c>values</c> (<see cref="OutputKinds"/>).
/// </summary>
public sealed record TensorDescription(string Name, IReadOnlyList<long> Shape, string ElementType = "float32", string? Kind = null);

/// <summary>
/// A prunable group as a user sees it: its members and its share of the network's FLOPs. <paramref name="UnitWidth"/>: how many
/// filters or units each of its <paramref name="Channels"/> is (1; head_dim for an attention head; the channels per group
/// for a grouped convolution's group).
/// </summary>
public sealed record GroupDescription(int Id, string Name, int Channels, IReadOnlyList<string> Members, double FlopsShare, int UnitWidth = 1);

/// <summary>A tensor whose channels the analysis could not prove safe to remove, and why.</summary>
public sealed record HeldTensor(string Tensor, string Reason);

/// <summary>A model file that cannot be used; the message says what is wrong in words a person can act on.</summary>
public sealed class InvalidModelException(string message) : Exception(message);
