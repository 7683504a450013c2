using Dapper;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Cli;

/// <summary>The executable's administrative commands, run as a separate process as operators script them.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class CommandLineTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Producer_add_prints_the_key_once_alone_on_the_last_line_and_stores_only_its_hash()
    {
        var db = await postgres.CreateDatabaseAsync();

        var result = await ConsoleProcess.RunAsync(db, null, "producer", "add", "image-platform");

        Assert.Equal(0, result.ExitCode);
        var key = result.LastLine;
        Assert.StartsWith("mc_", key);
        Assert.Equal(1, result.Output.Split('\n').Count(line => line.Contains(key)));
        await using var connection = new NpgsqlConnection(db);
        var stored = await connection.QuerySingleAsync<(byte[] Hash, string Prefix)>("select key_hash, key_prefix from producers");
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)), stored.Hash);
        Assert.True(key.StartsWith(stored.Prefix, StringComparison.Ordinal) && stored.Prefix.Length < 12);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where details::text like '%' || @key || '%'", new { key }));
    }

    [Fact]
    public async Task User_role_and_user_disable_change_the_account_and_are_audited_and_an_unknown_email_fails_naming_it()
    {
        var db = await postgres.CreateDatabaseAsync();
        Assert.Equal(0, (await ConsoleProcess.RunAsync(db, "a long enough password", "user", "add", "lead@example.com", "--role", "moderator")).ExitCode);

        var promoted = await ConsoleProcess.RunAsync(db, null, "user", "role", "lead@example.com", "--role", "senior");
        var disabled = await ConsoleProcess.RunAsync(db, null, "user", "disable", "lead@example.com");
        var unknown = await ConsoleProcess.RunAsync(db, null, "user", "disable", "nobody@example.com");

        Assert.Equal(0, promoted.ExitCode);
        Assert.Contains("role senior", promoted.Output);
        Assert.Equal(0, disabled.ExitCode);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("email: no user with the email 'nobody@example.com'", unknown.Errors);
        await using var connection = new NpgsqlConnection(db);
        Assert.Equal(("senior", true), await connection.QuerySingleAsync<(string, bool)>(
            "select role, disabled_at is not null from users where email = 'lead@example.com'"));
        Assert.Equal(["user.role_changed", "user.disabled"], (await connection.QueryAsync<string>(
            "select action from audit_log where action in ('user.role_changed', 'user.disabled') order by id")).ToList());
    }

    [Fact]
    public async Task User_add_reads_the_password_from_standard_input_and_hashes_it()
    {
        var db = await postgres.CreateDatabaseAsync();

        var result = await ConsoleProcess.RunAsync(db, "a long enough password", "user", "add", "lead@example.com", "--role", "admin");

        Assert.Equal(0, result.ExitCode);
        await using var connection = new NpgsqlConnection(db);
        var (role, hash) = await connection.QuerySingleAsync<(string, string)>("select role, password_hash from users where email = 'lead@example.com'");
        Assert.Equal("admin", role);
        Assert.DoesNotContain("a long enough password", hash);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'user.created'"));
    }

    [Fact]
    public async Task Bad_input_to_user_add_fails_naming_the_field_and_creates_nothing()
    {
        var db = await postgres.CreateDatabaseAsync();

        var shortPassword = await ConsoleProcess.RunAsync(db, "short", "user", "add", "x@example.com", "--role", "moderator");
        var badRole = await ConsoleProcess.RunAsync(db, "a long enough password", "user", "add", "y@example.com", "--role", "overlord");

        Assert.Equal(1, shortPassword.ExitCode);
        Assert.Contains("password", shortPassword.Errors);
        Assert.Equal(1, badRole.ExitCode);
        Assert.Contains("role", badRole.Errors);
        await using var connection = new NpgsqlConnection(db);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from users"));
    }

    [Fact]
    public async Task A_second_user_with_the_same_email_is_refused()
    {
        var db = await postgres.CreateDatabaseAsync();
        await ConsoleProcess.RunAsync(db, "a long enough password", "user", "add", "same@example.com", "--role", "moderator");

        var again = await ConsoleProcess.RunAsync(db, "a long enough password", "user", "add", "SAME@example.com", "--role", "senior");

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Errors);
    }

    [Fact]
    public async Task Migrate_twice_applies_each_script_once()
    {
        var db = await postgres.CreateDatabaseAsync();

        var result = await ConsoleProcess.RunAsync(db, null, "migrate");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("up to date", result.Output);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("user", "add")]
    [InlineData("producer")]
    public async Task Wrong_usage_exits_2_with_the_usage(params string[] args)
    {
        var db = await postgres.CreateDatabaseAsync();

        var result = await ConsoleProcess.RunAsync(db, null, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.Errors);
    }

    [Fact]
    public async Task A_protocol_other_than_json_or_messagepack_exits_2_naming_the_option()
    {
        var db = await postgres.CreateDatabaseAsync();

        var result = await ConsoleProcess.RunAsync(db, null, "simulate", "--url", "http://127.0.0.1:1", "--key", "k", "--protocol", "xml");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--protocol must be json or messagepack (got 'xml')", result.Errors);
    }

    [Fact]
    public async Task Hash_prints_each_pictures_pdq_as_metas_tools_do_and_names_a_file_it_cannot_read()
    {
        var db = await postgres.CreateDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("mc-hash-");
        var picture = Path.Combine(folder.FullName, "picture.png");
        var png = ModerationConsole.Simulate.SyntheticImages.NoisyPng(300, 201, 7);
        await File.WriteAllBytesAsync(picture, png);
        var broken = Path.Combine(folder.FullName, "broken.png");
        await File.WriteAllBytesAsync(broken, png[..(png.Length / 2)]);

        var result = await ConsoleProcess.RunAsync(db, null, "hash", picture, broken, Path.Combine(folder.FullName, "missing.jpg"));

        var expected = ModerationConsole.Hashing.ImageFingerprint.TryHash(png)!.Value;
        Assert.Equal($"{expected.Hash},{expected.Quality},{picture}", result.Output.Trim());
        Assert.Contains($"error: {broken}: not an image this console decodes completely", result.Errors);
        Assert.Contains($"error: {Path.Combine(folder.FullName, "missing.jpg")}:", result.Errors);
        Assert.Equal(1, result.ExitCode);
        folder.Delete(recursive: true);
    }
}
