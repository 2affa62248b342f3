using System.Buffers.Binary;
using Shears.Domain.Datasets;

namespace Shears.Domain.Tests.Datasets;

/// <summary>The element types, byte orders and header versions of IDX and .npy that the readers accept.</summary>
public class FormatVariantsTests
{
    private static readonly byte[] ThreeLabels = DatasetFiles.Idx(0x08, [3], [2, 0, 1]);

    private static Dataset Read(byte[] inputs, byte[] labels) =>
        DatasetReader.Read(new MemoryStream(inputs), "inputs", new MemoryStream(labels), "labels", new DatasetLimits());

    [Fact]
    public void Npy_float64_inputs_with_int32_labels_shaped_N_by_1()
    {
        var inputs = DatasetFiles.Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", DatasetFiles.LittleEndian(0.5, -1.0, 2.0, 3.25, 0.0, 1e-3));
        var labels = DatasetFiles.Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 1), }", DatasetFiles.LittleEndian(4, 0, 1));

        var data = Read(inputs, labels);

        Assert.Equal([0.5f, -1f, 2f, 3.25f, 0f, 1e-3f], data.Arrays[0].Floats!);
        Assert.Equal([4L, 0, 1], data.Labels!);
        Assert.Equal(5, data.NumClasses);
        Assert.Equal([2], data.Arrays[0].SampleShape);
        Assert.False(data.Arrays[0].IsByteData);
    }

    [Fact]
    public void Npy_version_2_header_with_uint8_inputs_and_int64_labels()
    {
        var inputs = DatasetFiles.Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1, 2, 2)}", [.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))], majorVersion: 2);
        var labels = DatasetFiles.Npy("{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (3,)}", DatasetFiles.LittleEndian(1L, 1L, 0L), majorVersion: 2);

        var data = Read(inputs, labels);

        Assert.True(data.Arrays[0].IsByteData);
        Assert.Equal([1, 2, 2], data.Arrays[0].SampleShape);
        Assert.Equal(220f, data.Arrays[0].Floats![11]);
        Assert.Equal(2, data.NumClasses);
    }

    [Fact]
    public void Npy_big_endian_float32_is_byte_swapped()
    {
        var data = new byte[12];
        float[] values = [1.5f, -2f, 1e6f];
        for (var i = 0; i < 3; i++) BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4 * i), values[i]);
        var inputs = DatasetFiles.Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 1), }", data);

        Assert.Equal(values, Read(inputs, ThreeLabels).Arrays[0].Floats!);
    }

    [Theory]
    [InlineData(0x0D, 4)]
    [InlineData(0x0E, 8)]
    [InlineData(0x0C, 4)]
    [InlineData(0x0B, 2)]
    [InlineData(0x09, 1)]
    public void Idx_element_types_are_read_big_endian(byte typeCode, int size)
    {
        int[] values = [-3, 0, 7];
        var data = new byte[3 * size];
        for (var i = 0; i < 3; i++)
        {
            var slot = data.AsSpan(i * size, size);
            switch (typeCode)
            {
                case 0x0D: BinaryPrimitives.WriteSingleBigEndian(slot, values[i]); break;
                case 0x0E: BinaryPrimitives.WriteDoubleBigEndian(slot, values[i]); break;
                case 0x0C: BinaryPrimitives.WriteInt32BigEndian(slot, values[i]); break;
                case 0x0B: BinaryPrimitives.WriteInt16BigEndian(slot, (short)values[i]); break;
                default: slot[0] = (byte)(sbyte)values[i]; break;
            }
        }

        var dataset = Read(DatasetFiles.Idx(typeCode, [3, 1], data), ThreeLabels);

        // Floats stay floats; other integers than bytes are held as integers (token ids stay exact).
        var array = dataset.Arrays[0];
        Assert.Equal([-3f, 0f, 7f], array.Floats ?? [.. array.Integers!.Select(v => (float)v)]);
        Assert.Equal(typeCode is 0x0D or 0x0E, array.Floats is not null);
        Assert.False(array.IsByteData);
    }

    [Fact]
    public void Labels_may_be_npy_while_inputs_are_idx()
    {
        var inputs = DatasetFiles.Idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]);
        var labels = DatasetFiles.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", DatasetFiles.LittleEndian(9L, 0L, 3L));

        var data = Read(inputs, labels);

        Assert.Equal(10, data.NumClasses);
        Assert.Equal([9L, 0, 3], data.Labels!);
    }
}
