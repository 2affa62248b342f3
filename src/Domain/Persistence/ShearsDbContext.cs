using Microsoft.EntityFrameworkCore;

namespace Shears.Domain.Persistence;

/// <summary>
/// The service's tables. The same model runs on SQLite (embedded mode, created with EnsureCreated) and on
/// PostgreSQL (distributed mode, created by the migrations in Persistence/Migrations).
/// </summary>
public sealed class ShearsDbContext(DbContextOptions<ShearsDbContext> options) : DbContext(options)
{
    public DbSet<StoredModel> Models => Set<StoredModel>();
    public DbSet<StoredDataset> Datasets => Set<StoredDataset>();
    public DbSet<PruningJob> Jobs => Set<PruningJob>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<JobArtifact> JobArtifacts => Set<JobArtifact>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Timestamps are UTC everywhere; SQLite hands them back without a kind, so restore it on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<JobStatus>().HaveConversion<LowerCaseEnumConverter<JobStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<JobEventType>().HaveConversion<LowerCaseEnumConverter<JobEventType>>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<StoredModel>(model =>
        {
            model.ToTable("models");
            model.HasIndex(m => new { m.TenantId, m.CreatedAt });
            model.HasIndex(m => m.Sha256);
            model.Property(m => m.Sha256).HasMaxLength(64);
        });

        modelBuilder.Entity<StoredDataset>(dataset =>
        {
            dataset.ToTable("datasets");
            dataset.HasIndex(d => new { d.TenantId, d.CreatedAt });
            dataset.Property(d => d.InputsSha256).HasMaxLength(64);
            dataset.Property(d => d.LabelsSha256).HasMaxLength(64);
        });

        modelBuilder.Entity<PruningJob>(job =>
        {
            job.ToTable("jobs");
            job.HasIndex(j => new { j.TenantId, j.CreatedAt });
            job.HasIndex(j => j.Status);
            job.Property(j => j.Method).HasMaxLength(16);
            job.HasMany(j => j.Artifacts).WithOne().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<JobArtifact>(artifact =>
        {
            artifact.ToTable("job_artifacts");
            artifact.HasKey(a => new { a.JobId, a.Name });
            artifact.Property(a => a.Name).HasMaxLength(64);
            artifact.Property(a => a.Sha256).HasMaxLength(64);
        });

        modelBuilder.Entity<JobEvent>(jobEvent =>
        {
            jobEvent.ToTable(JobEventsTable);
            jobEvent.HasKey(e => new { e.JobId, e.Sequence });
            jobEvent.HasOne<PruningJob>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        });
    }

    public const string JobEventsTable = "job_events";

    /// <summary>The PostgreSQL NOTIFY channel a trigger on <see cref="JobEventsTable"/> signals with the job id.</summary>
    public const string JobEventsChannel = "shears_job_events";
}
