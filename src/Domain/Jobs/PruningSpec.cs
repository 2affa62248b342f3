namespace Shears.Domain.Jobs;

public enum PruningMethod
{
    Magnitude,
    Fisher,
    L0,
}

/// <summary>
/// Fractions of the original network's cost to keep (0 &lt; f &lt; 1); with <see cref="Levels"/>, the smallest level (where
/// the trajectory ends). A <see cref="Budget"/> target sets no fraction: the job searches for it.
/// </summary>
public sealed record PruningTarget(double? Flops, double? Params)
{
    /// <summary>Several sizes from one job, or null for one network.</summary>
    public TargetLevels? Levels { get; init; }

    /// <summary>The smallest network within a drop of a held-out figure, or null for a fixed size.</summary>
    public QualityBudget? Budget { get; init; }
}

/// <summary>
/// Every job option with its default. Parsed and validated from the job's JSON <c>options</c> by
/// <see cref="PruningOptionsParser"/>; the engine only ever sees a valid instance.
/// </summary>
public sealed record PruningOptions
{
    // common
    /// <summary>
    /// Fine-tuning epochs after pruning (magnitude, fisher) or training epochs (l0); null, with no <see cref="Steps"/>:
    /// fine-tuning runs until the held-out accuracy stops improving (l0 trains its gates for one epoch first).
    /// </summary>
    public double? Epochs { get; init; }
    /// <summary>When set, overrides <see cref="Epochs"/> as a number of optimizer steps.</summary>
    public int? Steps { get; init; }
    public int BatchSize { get; init; } = 100;
    public double LearningRate { get; init; } = 1e-3;
    public string Optimizer { get; init; } = "adam"; // adam | sgd
    /// <summary>
    /// The learning rate over fine-tuning: <c>constant</c>, or <c>cosine</c>, decayed from <see cref="FineTuningLearningRate"/> to
    /// zero along a half cosine over the fine-tuning steps (over their upper bound when the job gives no length); pruning rounds
    /// and L0 gate training keep the constant <see cref="LearningRate"/>. Null: cosine when the job gives no length
    /// (<see cref="Epochs"/>, <see cref="Steps"/>), constant when it gives one.
    /// </summary>
    public string? Schedule { get; init; } // constant | cosine
    /// <summary>
    /// The rate fine-tuning starts at. Null: <see cref="LearningRate"/>, or three times it when the job gives neither a length nor
    /// a <see cref="Schedule"/> (the default cosine decay ends near zero, so it can start higher: a pruned network is far from
    /// where its training left it).
    /// </summary>
    public double? FineTuningLearningRate { get; init; }
    /// <summary>
    /// Share of each group's original channels that is never removed (0: a group may go down to one channel). Keeps a
    /// method from hollowing one layer out to reach a target, at the price of cutting deeper elsewhere.
    /// </summary>
    public double MinWidth { get; init; } = 0.25;
    public double ValidationFraction { get; init; } = 0.1;
    public int Seed { get; init; } = 1;
    public string Device { get; init; } = "auto"; // auto | cpu | cuda
    /// <summary>
    /// Training steps between checkpoints of the training state, in every phase (Fisher rounds, L0 gate training,
    /// fine-tuning; 0: none). A job picked up again after its worker died resumes from the last one instead of from the start.
    /// </summary>
    public int CheckpointEverySteps { get; init; } = 50;
    /// <summary>Multiplier applied to float inputs; null means 1/255 for byte data and 1 otherwise. Integer inputs (ids, masks) are never scaled.</summary>
    public double? InputScale { get; init; }

    // image archives
    /// <summary>Height and width of the crop fed to the network; null: the network's input size.</summary>
    public int? ImageSize { get; init; }
    /// <summary>The shorter side is resized to this before the centre crop; null: the crop's larger side (no extra margin).</summary>
    public int? ResizeShorterSide { get; init; }
    public string ChannelOrder { get; init; } = "rgb"; // rgb | bgr
    /// <summary><c>imagenet</c> sets ImageNet's per-channel mean and std (after the 1/255 scale); <c>none</c> uses <see cref="Mean"/>/<see cref="Std"/>.</summary>
    public string Normalize { get; init; } = "none"; // none | imagenet
    /// <summary>Per-channel (or one for all) value subtracted after scaling; null: 0.</summary>
    public double[]? Mean { get; init; }
    /// <summary>Per-channel (or one for all) divisor after the mean; null: 1.</summary>
    public double[]? Std { get; init; }
    /// <summary>Random resized crop and horizontal flip on training batches (never on evaluation); null: on.</summary>
    public bool? Augment { get; init; }

    // objective
    /// <summary>
    /// What every method trains against: <c>labels</c> (cross-entropy on the dataset's labels), <c>distill</c> (match the
    /// original network's outputs; no labels needed) or <c>both</c>. Null: <c>both</c> when the dataset has labels and the
    /// network one [N, C] output, else <c>distill</c>.
    /// </summary>
    public string? Objective { get; init; } // labels | distill | both
    /// <summary>
    /// The temperature T that softens class-score outputs for distillation (loss scaled by T²). Named apart from
    /// <see cref="GateTemperature"/>, L0's hard-concrete β (the plain name <c>temperature</c> is refused as ambiguous).
    /// </summary>
    public double DistillTemperature { get; init; } = 4;
    /// <summary>The distillation term's share w with objective <c>both</c>: (1 − w)·labels + w·distill.</summary>
    public double DistillWeight { get; init; } = 0.5;
    /// <summary>Weight of each graph output's distillation term by output name (1 for outputs not named).</summary>
    public IReadOnlyDictionary<string, double>? OutputWeights { get; init; }
    /// <summary>
    /// <c>classes</c> or <c>values</c> by output name, for outputs whose kind the inspection got wrong (an embedding ending in a
    /// Linear layer counts as class scores); unnamed outputs keep the inspection's kind (<see cref="Graph.OutputKinds"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? OutputKinds { get; init; }

    // fisher
    /// <summary>
    /// Weight β of Theis et al.'s Δ + β·ΔC, with ΔC the cost change as a fraction of the original network's cost (the paper's β
    /// times the original FLOPs); null ranks by Δ/|ΔC|, Group Fisher's cost-normalised importance (Liu et al. 2021).
    /// </summary>
    public double? Beta { get; init; }
    public int StepsPerPrune { get; init; } = 10;
    /// <summary>
    /// Channels removed after each <see cref="StepsPerPrune"/> steps besides those whose Δ was 0 (the paper removes one);
    /// null: a share of the remaining distance to the target each round, so the rounds stay bounded whatever the width.
    /// </summary>
    public int? ChannelsPerPrune { get; init; }
    /// <summary>
    /// What ΔC counts when ranking channels: <c>target</c>, the target's own metric (FLOPs or parameters, as in the paper);
    /// <c>traffic</c>, with a FLOPs target FLOPs plus the activation elements each layer reads and writes at a fixed
    /// FLOPs-per-element balance, a latency cost that needs no timing (the Worker's TrafficCost; a params target counts
    /// parameters); or <c>latency</c>, ONNX Runtime latency measured on the worker (see the Worker's LatencyProfile).
    /// <c>target</c> stays the default: <c>traffic</c> made the small ResNet faster but zoo efficientnet slower than its
    /// original (docs/defaults-bench.md).
    /// </summary>
    public string Cost { get; init; } = "target"; // target | traffic | latency
    /// <summary>
    /// Kept widths are either below this or a multiple of it (1: any width). CPU runtimes compute convolutions in blocks of
    /// channels (ONNX Runtime: 8 with AVX2, 16 with AVX-512) and fall back to slower kernels for widths between blocks,
    /// so a group that is too wide for one block loses a whole block at a time. Null: the worker's convolution block for
    /// convolution groups (where a channel is a grouped Conv's group of w filters, the fewest groups that fill whole blocks),
    /// and a convolution group at least one block wide keeps whole blocks unless the target needs narrower; 1 for linear
    /// units and heads (the Worker's ChannelMultiples).
    /// </summary>
    public int? ChannelMultiple { get; init; }

    // l0
    public double? Lambda { get; init; }
    public string Granularity { get; init; } = "channel"; // channel | weight
    /// <summary>
    /// The gates' initial drop rate p (log α = ln(1/p − 1)). Small, because L0 here prunes a trained network: at the paper's
    /// 0.5 (for training from scratch) every test-time gate starts at 0.5 and every sampled gate drops about half of each
    /// channel, and the small ResNet's held-out accuracy fell from 89% to 10% within the first epoch of gate training.
    /// </summary>
    public double DroprateInit { get; init; } = 0.1;
    /// <summary>L0's hard-concrete temperature β, option <c>gateTemperature</c> (not distillation's; that is <see cref="DistillTemperature"/>).</summary>
    public double GateTemperature { get; init; } = 2.0 / 3.0;

    // magnitude
    public string Norm { get; init; } = "l1"; // l1 | l2
    public string Scope { get; init; } = "global"; // global | layer
}
