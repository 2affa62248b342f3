using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shears.Domain.Persistence.Migrations
{
    /// <summary>
    /// Every inserted job event NOTIFYs <see cref="ShearsDbContext.JobEventsChannel"/> with its job id, whoever
    /// wrote it, so the Api's LISTEN wakes the SSE streams of that job (delivered on commit).
    /// </summary>
    public partial class NotifyOnJobEvent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                CREATE FUNCTION notify_job_event() RETURNS trigger AS $$
                BEGIN
                    PERFORM pg_notify('{ShearsDbContext.JobEventsChannel}', NEW.job_id::text);
                    RETURN NEW;
                END;
                $$ LANGUAGE plpgsql;

                CREATE TRIGGER job_events_notify AFTER INSERT ON {ShearsDbContext.JobEventsTable}
                    FOR EACH ROW EXECUTE FUNCTION notify_job_event();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                DROP TRIGGER IF EXISTS job_events_notify ON {ShearsDbContext.JobEventsTable};
                DROP FUNCTION IF EXISTS notify_job_event();
                """);
        }
    }
}
