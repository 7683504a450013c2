using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace ModerationConsole.Data;

// Once the server runs: waiting until it accepts connections, then the database and the console's own login.
public sealed partial class EmbeddedPostgres
{
    async Task WaitForConnectionAsync(CancellationToken ct)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException && !ct.IsCancellationRequested)
            {
                if (deadline.Elapsed > ConnectTimeout)
                    throw new InvalidOperationException(
                        $"PostgreSQL on {ClusterDirectory} {(ReusedRunningServer ? "is running" : "started")} but accepted no connection on " +
                        $"127.0.0.1:{Port} within {ConnectTimeout.TotalSeconds:0} s: {ex.Message}{Environment.NewLine}" +
                        $"Last lines of {LogFile}:{Environment.NewLine}{LogTail(LogFile, 20)}", ex);
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }
        }
    }

    /// <summary>An unpooled superuser connection to the maintenance database, for start-up work on the cluster itself.</summary>
    async Task<NpgsqlConnection> OpenMaintenanceConnectionAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres")) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        await using var connection = await OpenMaintenanceConnectionAsync(ct);
        await using (var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection))
        {
            exists.Parameters.AddWithValue("name", Database);
            if (await exists.ExecuteScalarAsync(ct) is not null)
                return;
        }
        _logger?.LogInformation("Creating database {Database}.", Database);
        try
        {
            await using var create = new NpgsqlCommand($"create database \"{Database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Created meanwhile by another starter: fine.
        }
    }

    /// <summary>
    /// Creates the console's login (and its group, which db/0007 grants to) when missing. Roles belong to the cluster,
    /// not to a database, so this runs before any database is migrated.
    /// </summary>
    async Task EnsureApplicationLoginAsync(CancellationToken ct)
    {
        await using var connection = await OpenMaintenanceConnectionAsync(ct);
        await using var create = new NpgsqlCommand($"""
            do $$
            begin
                if not exists (select from pg_roles where rolname = '{ApplicationRole.Group}') then
                    create role {ApplicationRole.Group} nologin;
                end if;
                if not exists (select from pg_roles where rolname = '{ApplicationRole.EmbeddedLogin}') then
                    create role {ApplicationRole.EmbeddedLogin} login in role {ApplicationRole.Group};
                end if;
            end $$
            """, connection);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await create.ExecuteNonQueryAsync(ct);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                // Another starter created one of the roles meanwhile: look again, the other may still be missing.
            }
        }
    }
}
