using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Shears.Worker.Engine.Checkpoints;

/// <summary>
/// What a training checkpoint holds besides its header: named tensors, copied bit for bit in their own dtype
/// (float32 weights, float64 accumulators, a generator's byte state), and named counters and numbers. Written
/// by <see cref="ICheckpointed.Save"/>, read back by <see cref="ICheckpointed.Restore"/>.
/// </summary>
public sealed class CheckpointData
{
    private static readonly Dictionary<ScalarType, string> Dtypes = new()
    {
        [ScalarType.Float32] = "F32",
        [ScalarType.Float64] = "F64",
        [ScalarType.Int64] = "I64",
        [ScalarType.Byte] = "U8",
    };

    private readonly Dictionary<string, SafetensorsTensor> tensors;

    public CheckpointData()
        : this(new Dictionary<string, SafetensorsTensor>(), [], [])
    {
    }

    public CheckpointData(IReadOnlyDictionary<string, SafetensorsTensor> tensors, Dictionary<string, long> counters, Dictionary<string, double> numbers)
    {
        this.tensors = new Dictionary<string, SafetensorsTensor>(tensors);
        Counters = counters;
        Numbers = numbers;
    }

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors => tensors;

    public Dictionary<string, long> Counters { get; }

    public Dictionary<string, double> Numbers { get; }

    public bool Has(string name) => tensors.ContainsKey(name);

    /// <summary>Keeps <paramref name="tensor"/> as it is (bytes already in safetensors form).</summary>
    public void Put(string name, SafetensorsTensor tensor) => tensors[name] = tensor;

    /// <summary>Copies everything of <paramref name="part"/> in under <paramref name="prefix"/> (a snapshot kept inside a checkpoint).</summary>
    public void PutAll(string prefix, CheckpointData part)
    {
        foreach (var (name, tensor) in part.tensors)
            tensors[$"{prefix}/{name}"] = tensor;
        foreach (var (name, value) in part.Counters)
            Counters[$"{prefix}/{name}"] = value;
        foreach (var (name, value) in part.Numbers)
            Numbers[$"{prefix}/{name}"] = value;
    }

    /// <summary>What <see cref="PutAll"/> put under <paramref name="prefix"/>, with the prefix taken off.</summary>
    public CheckpointData Part(string prefix)
    {
        var start = prefix + "/";
        return new CheckpointData(
            tensors.Where(t => t.Key.StartsWith(start, StringComparison.Ordinal)).ToDictionary(t => t.Key[start.Length..], t => t.Value),
            Counters.Where(c => c.Key.StartsWith(start, StringComparison.Ordinal)).ToDictionary(c => c.Key[start.Length..], c => c.Value),
            Numbers.Where(n => n.Key.StartsWith(start, StringComparison.Ordinal)).ToDictionary(n => n.Key[start.Length..], n => n.Value));
    }

    /// <summary>Raw bytes (a serialized result, a network file) as a U8 tensor.</summary>
    public void PutBytes(string name, byte[] bytes) => tensors[name] = new SafetensorsTensor("U8", [bytes.Length], bytes);

    /// <exception cref="InvalidDataException">Nothing of that name was saved.</exception>
    public byte[] Bytes(string name) =>
        tensors.TryGetValue(name, out var saved) && saved.Dtype == "U8" ? saved.Data : throw new InvalidDataException($"The checkpoint has no bytes '{name}'.");

    /// <summary>Keeps a copy of <paramref name="value"/>'s current contents.</summary>
    public void Put(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        var host = value.detach().cpu().contiguous();
        var dtype = Dtypes.TryGetValue(host.dtype, out var d) ? d : throw new NotSupportedException($"A checkpoint cannot hold {host.dtype} tensors ('{name}').");
        byte[] bytes = host.dtype switch
        {
            ScalarType.Float32 => MemoryMarshal.AsBytes(host.data<float>().ToArray().AsSpan()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes(host.data<double>().ToArray().AsSpan()).ToArray(),
            ScalarType.Int64 => MemoryMarshal.AsBytes(host.data<long>().ToArray().AsSpan()).ToArray(),
            _ => host.data<byte>().ToArray(),
        };
        tensors[name] = new SafetensorsTensor(dtype, host.shape, bytes);
    }

    /// <summary>Copies the saved tensor into <paramref name="target"/>, which must have its shape and dtype.</summary>
    /// <exception cref="InvalidDataException">Nothing of that name, shape and dtype was saved.</exception>
    public void CopyInto(string name, Tensor target)
    {
        using var scope = NewDisposeScope();
        var host = Load(name);
        if (!host.shape.SequenceEqual(target.shape) || host.dtype != target.dtype)
            throw new InvalidDataException($"The checkpoint's '{name}' is {host.dtype} [{string.Join(", ", host.shape)}], not {target.dtype} [{string.Join(", ", target.shape)}].");
        using (no_grad())
            target.copy_(host);
    }

    /// <summary>The saved tensor as a new host tensor in the caller's dispose scope.</summary>
    public Tensor Load(string name)
    {
        if (!tensors.TryGetValue(name, out var saved))
            throw new InvalidDataException($"The checkpoint has no '{name}'.");
        var dtype = Dtypes.FirstOrDefault(d => d.Value == saved.Dtype);
        if (dtype.Value is null)
            throw new InvalidDataException($"The checkpoint's '{name}' has the dtype {saved.Dtype}.");
        // Copied into memory libtorch owns: a tensor made from a managed array would share it.
        return (dtype.Key switch
        {
            ScalarType.Float32 => tensor(MemoryMarshal.Cast<byte, float>(saved.Data).ToArray(), saved.Shape),
            ScalarType.Float64 => tensor(MemoryMarshal.Cast<byte, double>(saved.Data).ToArray(), saved.Shape),
            ScalarType.Int64 => tensor(MemoryMarshal.Cast<byte, long>(saved.Data).ToArray(), saved.Shape),
            _ => tensor(saved.Data.ToArray(), saved.Shape),
        }).clone();
    }

    public long Counter(string name) =>
        Counters.TryGetValue(name, out var value) ? value : throw new InvalidDataException($"The checkpoint has no counter '{name}'.");

    public double Number(string name) =>
        Numbers.TryGetValue(name, out var value) ? value : throw new InvalidDataException($"The checkpoint has no number '{name}'.");
}
