using ModerationConsole.Tests.Infrastructure;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModerationConsole.Data;
using Npgsql;
using Xunit;

namespace ModerationConsole.Tests.Data;

[Trait(TestKind.Trait, TestKind.Database)]
public sealed class EmbeddedPostgresTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Starts_reuses_stops_and_restarts_with_the_data_intact()
    {
        var dir = Directory.CreateTempSubdirectory("mc-pg-test-");
        var options = new EmbeddedPostgresOptions { DataDirectory = dir.FullName, StopOnDispose = false };
        EmbeddedPostgres? first = null;
        try
        {
            first = await EmbeddedPostgres.StartAsync(options, null, Ct);
            Assert.False(first.ReusedRunningServer);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "pgdata", "PG_VERSION")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "postgres.log")));
            Assert.Equal(dir.FullName, first.SocketDirectory);
            Assert.Contains("Database=moderation", first.ConnectionString, StringComparison.Ordinal);
            Assert.Contains("Host=127.0.0.1", first.ConnectionString, StringComparison.Ordinal);
            Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString, "select 1"));
            Assert.Equal("moderation", await ScalarAsync<string>(first.ConnectionString, "select current_database()"));
            Assert.Equal("on", await ScalarAsync<string>(first.ConnectionString, "show fsync"));
            Assert.Equal("300", await ScalarAsync<string>(first.ConnectionString, "show max_connections"));
            Assert.Equal("UTF8", await ScalarAsync<string>(first.ConnectionString, "show server_encoding"));
            var startedAt = await ScalarAsync<DateTime>(first.ConnectionString, "select pg_postmaster_start_time()");
            // The server's processes keep an ingest call's large buffers between calls instead of mapping them afresh.
            var postmaster = File.ReadLines(Path.Combine(dir.FullName, "pgdata", "postmaster.pid")).First();
            var environment = (await File.ReadAllTextAsync($"/proc/{postmaster}/environ", Ct)).Split('\0');
            Assert.Contains("MALLOC_MMAP_THRESHOLD_=33554432", environment);
            Assert.Contains("MALLOC_TRIM_THRESHOLD_=67108864", environment);

            await ExecuteAsync(first.ConnectionString, "create table survivor (note text not null); insert into survivor values ('kept')");

            // Same directory again, even asking for another port: the running server is reused, not a second one started.
            await using (var second = await EmbeddedPostgres.StartAsync(options with { Port = first.Port == 65000 ? 65001 : 65000 }, null, Ct))
            {
                Assert.True(second.ReusedRunningServer);
                Assert.Equal(first.Port, second.Port);
                Assert.Equal(startedAt, await ScalarAsync<DateTime>(second.ConnectionString, "select pg_postmaster_start_time()"));
            }
            // StopOnDispose = false: disposing the second handle left the server running.
            Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString, "select 1"));

            await first.StopAsync(Ct);
            Assert.False(File.Exists(Path.Combine(dir.FullName, "pgdata", "postmaster.pid")));
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(first.ConnectionString, "select 1"));
            await first.StopAsync(Ct); // stopping a stopped server is a no-op

            await using var third = await EmbeddedPostgres.StartAsync(options with { StopOnDispose = true }, null, Ct);
            Assert.False(third.ReusedRunningServer);
            Assert.Equal("kept", await ScalarAsync<string>(third.ConnectionString, "select note from survivor"));
            Assert.Equal(1, await ScalarAsync<int>(third.ConnectionStringFor("postgres"), "select 1"));
        }
        finally
        {
            if (first is not null)
                await first.StopAsync(CancellationToken.None);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task After_a_crash_it_starts_again_with_committed_data_and_a_failed_start_shows_the_log()
    {
        var dir = Directory.CreateTempSubdirectory("mc-pg-test-");
        var options = new EmbeddedPostgresOptions { DataDirectory = dir.FullName, StopOnDispose = true };
        try
        {
            var crashed = await EmbeddedPostgres.StartAsync(options, null, Ct);
            await ExecuteAsync(crashed.ConnectionString, "create table committed (id int); insert into committed values (42)");
            var pidFile = Path.Combine(dir.FullName, "pgdata", "postmaster.pid");
            var postmaster = Process.GetProcessById(int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture));
            postmaster.Kill(); // SIGKILL: no shutdown checkpoint, postmaster.pid left behind
            await postmaster.WaitForExitAsync(Ct);
            Assert.True(File.Exists(pidFile));

            await using (var recovered = await EmbeddedPostgres.StartAsync(options, null, Ct))
            {
                Assert.False(recovered.ReusedRunningServer);
                Assert.Equal(42, await ScalarAsync<int>(recovered.ConnectionString, "select id from committed"));
            }
            Assert.False(File.Exists(pidFile));

            // A port held by someone else: the error carries pg_ctl's output and the end of postgres.log.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var busyPort = ((IPEndPoint)listener.LocalEndpoint).Port;
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedPostgres.StartAsync(options with { Port = busyPort }, null, Ct));
                Assert.Contains("pg_ctl", error.Message, StringComparison.Ordinal);
                Assert.Contains("postgres.log", error.Message, StringComparison.Ordinal);
                Assert.Contains("could not bind", error.Message, StringComparison.Ordinal);
            }
            finally
            {
                listener.Stop();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_data_directory_too_long_for_a_unix_socket_puts_the_socket_under_tmp()
    {
        var root = Directory.CreateTempSubdirectory("mc-pg-test-");
        var dataDirectory = Path.Combine(root.FullName, new string('d', 60), new string('e', 60));
        try
        {
            // CreateTempSubdirectory makes a 0700 folder; as root the server runs as 'postgres', which must traverse it.
            if (OperatingSystem.IsLinux())
                File.SetUnixFileMode(root.FullName, (UnixFileMode)0b111_101_101);
            await using var server = await EmbeddedPostgres.StartAsync(
                new EmbeddedPostgresOptions { DataDirectory = dataDirectory, Database = "long_path" }, null, Ct);
            Assert.StartsWith("/tmp/mc-pg-", server.SocketDirectory, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(server.SocketDirectory, $".s.PGSQL.{server.Port}")));
            Assert.Equal("long_path", await ScalarAsync<string>(server.ConnectionString, "select current_database()"));
            await server.StopAsync(Ct);
            Directory.Delete(server.SocketDirectory, recursive: true);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task As_root_a_data_directory_the_postgres_user_cannot_reach_is_refused_clearly()
    {
        Assert.SkipUnless(Environment.UserName == "root", "Only root hands the cluster to the postgres user.");
        var root = Directory.CreateTempSubdirectory("mc-pg-test-"); // 0700, owned by root
        try
        {
            var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(root.FullName, "nested") };
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedPostgres.StartAsync(options, null, Ct));
            Assert.Contains($"cannot traverse {root.FullName}", error.Message, StringComparison.Ordinal);
            Assert.Contains("chmod o+x", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_bin_directory_says_how_to_install_postgres()
    {
        var dir = Directory.CreateTempSubdirectory("mc-pg-test-");
        try
        {
            var options = new EmbeddedPostgresOptions { DataDirectory = dir.FullName, BinDirectory = "/nonexistent/postgresql/bin" };
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedPostgres.StartAsync(options, null, Ct));
            Assert.Contains("/nonexistent/postgresql/bin", error.Message, StringComparison.Ordinal);
            Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
            Assert.Contains("apt-get install -y postgresql", error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "pgdata")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_relative_data_directory_is_rejected()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = ".data/postgres" }, null, Ct));
        Assert.Contains("absolute", error.Message, StringComparison.Ordinal);
    }

    static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        // No pooling: a pooled connection would outlive the server restarts this class performs.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
