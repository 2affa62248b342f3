// The runtime and libtorch raise these; the tests make the same ones to see how a job failing with them is treated.
#pragma warning disable CA2201

using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Shears.Domain.Persistence;
using Shears.Worker.Engine;
using Shears.Worker.Jobs;

namespace Shears.Worker.Tests.Jobs;

/// <summary>Which failures Hangfire retries: only the infrastructure's, never the job's own.</summary>
public class JobFailuresTests
{
    public static TheoryData<Exception> OwnFaults() => new()
    {
        new PruningFailedException("The training loss became NaN; lower the learning rate."),
        new OutOfMemoryException(),
        new ExternalException("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory: you tried to allocate 1099511627776 bytes."),
        new NullReferenceException(),
        new InvalidOperationException("Sequence contains no elements"),
        new IndexOutOfRangeException(),
        new ArtifactMissingException("/srv/shears/artifacts/objects/ab/abcd", new DirectoryNotFoundException()),
    };

    public static TheoryData<Exception> InfrastructureFaults() => new()
    {
        new NpgsqlException("Exception while reading from stream", new IOException("Connection reset")),
        new DbUpdateException("An error occurred while saving the entity changes.", new NpgsqlException("57P01: terminating connection due to administrator command")),
        new InvalidOperationException("An exception has been raised that is likely due to a transient failure.", new NpgsqlException("Failed to connect")),
        new RetryLimitExceededException("The maximum number of retries (6) was exceeded.", new NpgsqlException("Failed to connect")),
        new IOException("Stale file handle"),
        new FileNotFoundException("objects/ab/abcd"),
        new TimeoutException(),
        new AggregateException(new TimeoutException()),
    };

    [Theory]
    [MemberData(nameof(OwnFaults))]
    public void The_jobs_own_failures_are_not_retried(Exception failure)
        => Assert.False(JobFailures.IsInfrastructure(failure));

    [Theory]
    [MemberData(nameof(InfrastructureFaults))]
    public void Infrastructure_failures_are_retried(Exception failure)
        => Assert.True(JobFailures.IsInfrastructure(failure));

    [Fact]
    public void Running_out_of_memory_says_so_and_what_to_do()
    {
        var native = JobFailures.Describe(new ExternalException("DefaultCPUAllocator: not enough memory: you tried to allocate 8 GB.\nstack..."), 1);
        Assert.StartsWith("The job ran out of memory (DefaultCPUAllocator: not enough memory: you tried to allocate 8 GB.)", native, StringComparison.Ordinal);
        Assert.Contains("batchSize", native, StringComparison.Ordinal);
        Assert.StartsWith("The job ran out of memory. Lower options.batchSize", JobFailures.Describe(new OutOfMemoryException(), 1), StringComparison.Ordinal);
    }

    [Fact]
    public void A_reason_of_the_engine_is_passed_on_as_it_is_and_anything_else_is_named()
    {
        Assert.Equal("Target unreachable.", JobFailures.Describe(new PruningFailedException("Target unreachable."), 1));
        Assert.Equal("The engine could not run this job (NullReferenceException: Object reference not set to an instance of an object.); running it again would fail the same way.",
            JobFailures.Describe(new NullReferenceException(), 1));
        Assert.Equal("Gave up after 3 attempts; the last one failed because the artifact store could not be read or written (FileNotFoundException).",
            JobFailures.Describe(new FileNotFoundException("Could not find file '/srv/shears/artifacts/objects/ab/abcd'."), 3));
        Assert.Equal("The artifacts folder has no file /srv/a/objects/ab/abcd. The Api and every worker must share one artifacts folder: give them all the same Artifacts__Path.",
            JobFailures.Describe(new ArtifactMissingException("/srv/a/objects/ab/abcd", new DirectoryNotFoundException()), 1));
        Assert.Equal("the database failed (Failed to connect)",
            JobFailures.Summary(new InvalidOperationException("An exception has been raised that is likely due to a transient failure.", new NpgsqlException("Failed to connect"))));
    }
}
