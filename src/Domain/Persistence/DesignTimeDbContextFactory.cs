using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Shears.Domain.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without a running service.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ShearsDbContext>
{
    public ShearsDbContext CreateDbContext(string[] args)
    {
        var settings = new DatabaseSettings("Host=localhost;Database=shears", SqlitePath: "unused.db");
        var options = new DbContextOptionsBuilder<ShearsDbContext>();
        options.UseShearsDatabase(settings, DatabaseOutagePolicy.RetryInBackground);
        return new ShearsDbContext(options.Options);
    }
}
