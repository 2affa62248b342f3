using Npgsql;

namespace Shears.Api.Tests.Infrastructure;

/// <summary>Plain queries on a test database, to check what the service stored behind its Api.</summary>
internal static class Sql
{
    /// <summary>The first column of every row, as text.</summary>
    public static async Task<List<string>> ColumnAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0).ToString()!);
        }
        return values;
    }

    /// <summary>Hangfire's states of the job that dispatched <paramref name="jobId"/>, once it has left Enqueued and Processing.</summary>
    public static async Task<List<string>> HangfireStatesAsync(string database, Guid jobId)
    {
        var dispatchId = (await ColumnAsync(database, $"SELECT dispatch_id FROM jobs WHERE id = '{jobId}'")).Single();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var states = await ColumnAsync(database, $"SELECT name FROM hangfire.state WHERE jobid = {long.Parse(dispatchId, System.Globalization.CultureInfo.InvariantCulture)} ORDER BY id");
            if (states.Count > 0 && states[^1] is not ("Enqueued" or "Processing") || DateTime.UtcNow > deadline)
            {
                return states;
            }
            await Task.Delay(200);
        }
    }
}
