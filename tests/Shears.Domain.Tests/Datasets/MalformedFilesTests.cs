using Shears.Domain.Datasets;

namespace Shears.Domain.Tests.Datasets;

/// <summary>Files the service must refuse with a message that says what is wrong, without exhausting memory.</summary>
public class MalformedFilesTests
{
    private static readonly byte[] ThreeLabels = DatasetFiles.Idx(0x08, [3], [2, 0, 1]);
    private static readonly byte[] ThreeInputs = DatasetFiles.Idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]);

    private static InvalidDatasetException Refused(byte[] inputs, byte[] labels, DatasetLimits? limits = null) =>
        Assert.Throws<InvalidDatasetException>(() => DatasetReader.Read(
            new MemoryStream(inputs), "inputs.bin", new MemoryStream(labels), "labels.bin", limits ?? new DatasetLimits()));

    [Fact]
    public void A_file_that_is_neither_idx_nor_npy_is_refused_naming_both_formats()
    {
        var error = Refused("PK\u0003\u0004 a zip file"u8.ToArray(), ThreeLabels);

        Assert.Contains("inputs.bin", error.Message);
        Assert.Contains("IDX", error.Message);
        Assert.Contains(".npy", error.Message);
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        Assert.Contains("empty", Refused([], ThreeLabels).Message);
    }

    [Fact]
    public void An_unknown_idx_type_code_is_refused()
    {
        Assert.Contains("type code 0x07", Refused(DatasetFiles.Idx(0x07, [3, 2], new byte[6]), ThreeLabels).Message);
    }

    [Fact]
    public void A_truncated_gzipped_file_is_refused()
    {
        var whole = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz"));
        var labels = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"));

        var error = Refused(whole[..(whole.Length / 2)], labels);

        Assert.Contains("inputs.bin", error.Message);
    }

    [Fact]
    public void A_truncated_plain_file_is_refused_saying_how_much_data_the_header_promised()
    {
        var plain = DatasetFiles.Gunzip(DatasetFiles.Fixture("fashion_test_1k-images-idx3-ubyte.gz"));
        var labels = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"));

        var error = Refused(plain[..^100], labels);

        Assert.Contains("[1000, 28, 28]", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_that_ends_inside_its_header_is_refused()
    {
        Assert.Contains("truncated", Refused(DatasetFiles.Idx(0x08, [3, 2], [])[..7], ThreeLabels).Message);
        Assert.Contains("truncated", Refused([0x93, .. "NUMPY"u8, 1, 0, 200, 0, .. "{'descr'"u8], ThreeLabels).Message);
    }

    [Fact]
    public void A_header_claiming_far_more_data_than_present_allocates_only_what_arrives()
    {
        // 800 MB claimed, well inside the default 2 GB limit, but only 1 kB present.
        var lying = DatasetFiles.Idx(0x08, [1_000_000, 28, 28], new byte[1000]);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Refused(lying, ThreeLabels);

        Assert.Contains("truncated or its header is wrong", error.Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16L << 20);
    }

    [Fact]
    public void Absurd_dimensions_are_refused_before_reading()
    {
        var absurd = DatasetFiles.Idx(0x0E, [int.MaxValue, int.MaxValue, 1000], new byte[8]);

        Assert.Contains("allowed for one dataset file", Refused(absurd, ThreeLabels).Message);
        Assert.Contains("corrupt", Refused(DatasetFiles.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 99999999999), }", []), ThreeLabels).Message);
        Assert.Contains("zero", Refused(DatasetFiles.Idx(0x08, [3, 0], []), ThreeLabels).Message);
        Assert.Contains("dimensions", Refused([0, 0, 8, 200], ThreeLabels).Message);
    }

    [Fact]
    public void Data_beyond_what_the_header_describes_is_refused()
    {
        Assert.Contains("more data", Refused(DatasetFiles.Idx(0x08, [3, 2], new byte[7]), ThreeLabels).Message);
    }

    [Fact]
    public void A_gzip_bomb_is_stopped_at_the_decoded_size_limit()
    {
        // 64 MB of zeros behind a header that is consistent with them, squeezed to about 64 kB.
        var bomb = DatasetFiles.Gzip(DatasetFiles.Idx(0x08, [64, 1024, 1024], []), zerosAfter: 64L << 20);
        var labels = DatasetFiles.Idx(0x08, [64], new byte[64]);
        var limits = new DatasetLimits(MaxDecodedBytes: 4L << 20);
        Assert.InRange(bomb.Length, 1, 1 << 20);

        var error = Refused(bomb, labels, limits);

        Assert.Contains("4,194,304 bytes", error.Message);
    }

    [Fact]
    public void The_decoded_size_limit_counts_bytes_as_they_decode_whatever_the_content()
    {
        var bomb = DatasetFiles.Gzip("not even a dataset"u8.ToArray(), zerosAfter: 64L << 20);
        using var decoded = DatasetDecoding.Open(new MemoryStream(bomb), "bomb.gz", new DatasetLimits(MaxDecodedBytes: 1L << 20));

        var error = Assert.Throws<InvalidDatasetException>(() => decoded.CopyTo(Stream.Null));

        Assert.Contains("bomb.gz", error.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_is_refused()
    {
        var gz = DatasetFiles.Gzip(ThreeInputs);
        for (var i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5A;

        Assert.Contains("inputs.bin", Refused(gz, ThreeLabels).Message);
    }

    /// <summary>
    /// Cut inside its 8-byte trailer, a gzip still decodes every data byte (GZipStream does not mind); gunzip calls it an
    /// unexpected end of file, and so does the reader. Joined gzip members carry only the last one's size: refused too.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void A_gzip_cut_inside_its_trailer_is_refused_as_truncated(int cut)
    {
        var gz = DatasetFiles.Gzip(ThreeInputs);

        Assert.Contains("truncated", Refused(gz[..^cut], ThreeLabels).Message);
    }

    [Fact]
    public void Joined_gzip_members_are_refused_saying_what_to_do()
    {
        var joined = DatasetFiles.Gzip(ThreeInputs[..10]).Concat(DatasetFiles.Gzip(ThreeInputs[10..])).ToArray();

        Assert.Contains("compress it again as one", Refused(joined, ThreeLabels).Message);
    }

    [Fact]
    public void Inputs_and_labels_with_different_sample_counts_are_refused_naming_both_counts()
    {
        var images = File.ReadAllBytes(DatasetFiles.Fixture("fashion_train_2k-images-idx3-ubyte.gz"));
        var labels = File.ReadAllBytes(DatasetFiles.Fixture("fashion_test_1k-labels-idx1-ubyte.gz"));

        var error = Refused(images, labels);

        Assert.Contains("2,000 samples", error.Message);
        Assert.Contains("1,000 labels", error.Message);
    }

    [Fact]
    public void Negative_labels_are_refused()
    {
        var labels = DatasetFiles.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", DatasetFiles.LittleEndian(0L, -1L, 2L));

        var error = Refused(ThreeInputs, labels);

        Assert.Contains("label 1 is -1", error.Message);
    }

    [Fact]
    public void Float_labels_and_label_ids_beyond_the_class_limit_are_refused()
    {
        var floatLabels = DatasetFiles.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", DatasetFiles.LittleEndian(0f, 1f, 2f));
        var hugeLabel = DatasetFiles.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", DatasetFiles.LittleEndian(0L, 1L, 5_000_000_000L));

        Assert.Contains("integer class indices", Refused(ThreeInputs, floatLabels).Message);
        Assert.Contains("classes allowed", Refused(ThreeInputs, hugeLabel).Message);
    }

    [Fact]
    public void Swapped_files_are_refused_with_a_hint()
    {
        var error = Assert.Throws<InvalidDatasetException>(() => DatasetReader.Read(
            new MemoryStream(ThreeLabels), "labels.idx", new MemoryStream(ThreeInputs), "inputs.idx", new DatasetLimits()));

        Assert.Contains("Is this the labels file?", error.Message);
    }

    [Fact]
    public void Non_finite_inputs_are_refused()
    {
        var inputs = DatasetFiles.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", DatasetFiles.LittleEndian(0f, 1f, 2f, float.NaN, 4f, 5f));

        Assert.Contains("sample 1", Refused(inputs, ThreeLabels).Message);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", "Fortran")]
    [InlineData("{'descr': '<U3', 'fortran_order': False, 'shape': (3, 2), }", "dtype '<U3' is not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "scalar")]
    [InlineData("{'descr': __import__('os').system('echo hi'), 'fortran_order': False, 'shape': (3, 2), }", "not a numpy header")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), } trailing", "not a numpy header")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2), }", "not a numpy header")]
    [InlineData("{'descr': '<f4' 'shape': (3, 2)}", "not a numpy header")]
    public void Npy_headers_numpy_would_not_write_are_refused(string header, string expected)
    {
        var inputs = DatasetFiles.Npy(header, new byte[24]);

        Assert.Contains(expected, Refused(inputs, ThreeLabels).Message);
    }

    [Fact]
    public void Npy_format_versions_beyond_3_are_refused()
    {
        var inputs = DatasetFiles.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", new byte[24]);
        inputs[6] = 4;

        Assert.Contains("version 4.0", Refused(inputs, ThreeLabels).Message);
    }
}
