using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shears.Domain.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MultiArrayDatasets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "eval_dataset_id",
                table: "jobs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "labels_sha256",
                table: "datasets",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);

            migrationBuilder.AlterColumn<string>(
                name: "labels_file_name",
                table: "datasets",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<string>(
                name: "arrays_json",
                table: "datasets",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "has_labels",
                table: "datasets",
                type: "boolean",
                nullable: false,
                defaultValue: true); // every dataset stored before labels were optional has them
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "eval_dataset_id",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "arrays_json",
                table: "datasets");

            migrationBuilder.DropColumn(
                name: "has_labels",
                table: "datasets");

            migrationBuilder.AlterColumn<string>(
                name: "labels_sha256",
                table: "datasets",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "labels_file_name",
                table: "datasets",
                type: "text",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);
        }
    }
}
