using System.Net;
using Google.Protobuf;
using Onnx;
using Shears.Api.Tests.Infrastructure;

namespace Shears.Api.Tests;

/// <summary>
/// A network holding a tensor of a type the engine cannot load is refused at upload, with the other inspection
/// refusals (422 naming the tensor and its type), through real HTTP to a real Api process; before, it was stored and
/// only its job failed ("has data type 8, which cannot be read as float"). Integer and BOOL tensors (a causal mask kept
/// as a uint8 buffer) load as integers; OpParityTests runs one.
/// </summary>
public sealed class InitializerTypeTests(EmbeddedApi api) : IClassFixture<EmbeddedApi>
{
    [Theory]
    [InlineData(TensorProto.Types.DataType.String, "STRING")]
    [InlineData(TensorProto.Types.DataType.Float16, "FLOAT16")]
    [InlineData(TensorProto.Types.DataType.Bfloat16, "BFLOAT16")]
    public async Task A_model_with_an_initializer_of_an_unloadable_type_is_refused_at_upload_naming_it(TensorProto.Types.DataType type, string typeName)
    {
        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(RepoPaths.Fixture("tiny_mlp.onnx")));
        var tensor = new TensorProto { Name = "class_names", DataType = (int)type };
        tensor.Dims.Add(2);
        if (type == TensorProto.Types.DataType.String)
        {
            tensor.StringData.Add(ByteString.CopyFromUtf8("shirt"));
            tensor.StringData.Add(ByteString.CopyFromUtf8("boot"));
        }
        else
        {
            tensor.RawData = ByteString.CopyFrom(new byte[4]);
        }
        model.Graph.Initializer.Add(tensor);

        var response = await api.Client.UploadModelAsync(model.ToByteArray());
        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "class_names", typeName);
        Assert.Equal(0, (await api.Client.GetJsonAsync("/v1/models")).GetProperty("count").GetInt32());
    }
}
