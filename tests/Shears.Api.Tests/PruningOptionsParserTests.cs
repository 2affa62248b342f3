using System.Text.Json;
using Shears.Domain.Jobs;

namespace Shears.Api.Tests;

public sealed class PruningOptionsParserTests
{
    private static (PruningOptions Options, IReadOnlyList<(string Name, string Message)> Errors) Parse(PruningMethod method, string json)
        => PruningOptionsParser.Parse(method, JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Absent_options_are_the_defaults()
    {
        var (options, errors) = PruningOptionsParser.Parse(PruningMethod.Magnitude, null);
        Assert.Empty(errors);
        Assert.Equal(new PruningOptions(), options);
    }

    [Fact]
    public void Known_options_are_applied_with_their_types()
    {
        var (options, errors) = Parse(PruningMethod.Fisher, """{"epochs": 2.5, "batchSize": 64, "optimizer": "SGD", "beta": 0.001, "stepsPerPrune": 5, "channelsPerPrune": 3, "cost": "Latency", "inputScale": null, "schedule": "cosine", "fineTuningLearningRate": 0.002, "minWidth": 0.25, "channelMultiple": 16}""");
        Assert.Empty(errors);
        Assert.Equal(new PruningOptions
        {
            Epochs = 2.5,
            BatchSize = 64,
            Optimizer = "sgd",
            Beta = 0.001,
            StepsPerPrune = 5,
            ChannelsPerPrune = 3,
            Cost = "latency",
            Schedule = "cosine",
            FineTuningLearningRate = 0.002,
            MinWidth = 0.25,
            ChannelMultiple = 16,
        }, options);
    }

    [Fact]
    public void The_two_temperatures_have_their_own_names_and_the_bare_name_is_refused_naming_both()
    {
        var (options, errors) = Parse(PruningMethod.L0, """{"gateTemperature": 0.5, "distillTemperature": 2, "objective": "distill", "outputWeights": {"embedding": 2}}""");
        Assert.Empty(errors);
        Assert.Equal((0.5, 2.0, "distill", 2.0), (options.GateTemperature, options.DistillTemperature, options.Objective, options.OutputWeights!["embedding"]));

        var (_, refused) = Parse(PruningMethod.L0, """{"temperature": 0.5}""");
        var (name, message) = Assert.Single(refused);
        Assert.Equal("temperature", name);
        Assert.Contains("'gateTemperature'", message, StringComparison.Ordinal);
        Assert.Contains("'distillTemperature'", message, StringComparison.Ordinal);
        Assert.Single(Parse(PruningMethod.Fisher, """{"gateTemperature": 0.5}""").Errors); // l0's alone
    }

    [Theory]
    [InlineData("""{"outputKinds": {"embedding": "Values", "logits": "classes"}}""", null)]
    [InlineData("""{"outputKinds": {"embedding": "vectors"}}""", "'embedding' is the text \"vectors\"")]
    [InlineData("""{"outputKinds": ["values"]}""", "object of output names")]
    public void Output_kinds_are_read_by_output_name_and_a_kind_not_known_is_named(string json, string? mention)
    {
        var (options, errors) = Parse(PruningMethod.Fisher, json);
        if (mention is null)
        {
            Assert.Empty(errors);
            Assert.Equal(("values", "classes"), (options.OutputKinds!["embedding"], options.OutputKinds["logits"]));
            return;
        }
        var error = Assert.Single(errors);
        Assert.Equal("outputKinds", error.Name);
        Assert.Contains(mention, error.Message, StringComparison.Ordinal);
        Assert.Contains("\"classes\", \"values\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_preprocessing_options_are_read_with_per_channel_lists()
    {
        var (options, errors) = Parse(PruningMethod.Magnitude,
            """{"imageSize": 64, "resizeShorterSide": 73, "channelOrder": "BGR", "mean": [0.5, 0.4, 0.3], "std": 0.25, "augment": false, "normalize": "none"}""");
        Assert.Empty(errors);
        Assert.Equal((64, 73, "bgr", false, "none"), (options.ImageSize, options.ResizeShorterSide, options.ChannelOrder, options.Augment, options.Normalize));
        Assert.Equal([0.5, 0.4, 0.3], options.Mean!);
        Assert.Equal([0.25], options.Std!);
    }

    [Theory]
    [InlineData("""{"std": [1, 0]}""", "std", "greater than 0")]
    [InlineData("""{"mean": [1, 2, 3, 4, 5]}""", "mean", "1 to 4 numbers")]
    [InlineData("""{"mean": "imagenet"}""", "mean", "the text \"imagenet\"")]
    [InlineData("""{"augment": 1}""", "augment", "true or false")]
    [InlineData("""{"normalize": "coco"}""", "normalize", "\"imagenet\"")]
    public void Bad_image_options_are_named(string json, string name, string mention)
    {
        var (_, errors) = Parse(PruningMethod.L0, json);
        var error = Assert.Single(errors);
        Assert.Equal(name, error.Name);
        Assert.Contains(mention, error.Message);
    }

    [Theory]
    [InlineData("""{"batchSize": 0}""", "batchSize", "from 1 to")]
    [InlineData("""{"batchSize": 1.5}""", "batchSize", "whole number")]
    [InlineData("""{"validationFraction": 1}""", "validationFraction", "at most 0.9")]
    [InlineData("""{"device": "tpu"}""", "device", "\"cuda\"")]
    [InlineData("""{"lambda": 1}""", "lambda", "l0 only")]
    [InlineData("""{"cost": "latency"}""", "cost", "fisher only")]
    [InlineData("""{"channelMultiple": 0}""", "channelMultiple", "from 1 to")]
    [InlineData("""{"minWidth": 1}""", "minWidth", "at most 0.99")]
    [InlineData("""{"schedule": "step"}""", "schedule", "\"cosine\"")]
    [InlineData("""{"epochs": "NaN"}""", "epochs", "must be a number")]
    [InlineData("""{"Nope": 1}""", "Nope", "Unknown option")]
    public void Each_bad_option_is_named_with_what_would_be_right(string json, string name, string mention)
    {
        var (_, errors) = Parse(PruningMethod.Magnitude, json);
        var error = Assert.Single(errors);
        Assert.Equal(name, error.Name);
        Assert.Contains(mention, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_are_not_an_object_are_refused()
    {
        var (_, errors) = Parse(PruningMethod.L0, "[1, 2]");
        Assert.Contains("JSON object", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_job_spec_collects_method_and_target_errors_together()
    {
        var error = Assert.Throws<InvalidJobSpecException>(() => JobSpecParser.Parse("prune", new PruningTarget(0, 2), null));
        Assert.Contains("method", error.Errors.Keys);
        Assert.Equal(2, error.Errors["target"].Length);
    }

    [Fact]
    public void Weight_granularity_takes_a_params_target_and_refuses_a_flops_one()
    {
        var options = JsonDocument.Parse("""{"granularity": "weight"}""").RootElement;
        Assert.Equal("weight", JobSpecParser.Parse("l0", new PruningTarget(null, 0.3), options).Options.Granularity);
        var error = Assert.Throws<InvalidJobSpecException>(() => JobSpecParser.Parse("l0", new PruningTarget(0.3, null), options));
        Assert.Contains("target.params", Assert.Single(error.Errors["target.flops"]), StringComparison.Ordinal);
    }
}
