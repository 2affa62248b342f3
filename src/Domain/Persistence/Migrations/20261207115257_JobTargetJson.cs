using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shears.Domain.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class JobTargetJson : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "target_json",
                table: "jobs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "target_json",
                table: "jobs");
        }
    }
}
