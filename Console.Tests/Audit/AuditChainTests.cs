using System.Text.Json;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using ModerationConsole.Ingest;
using ModerationConsole.Operations;
using ModerationConsole.Tests.Infrastructure;
using Npgsql;

namespace ModerationConsole.Tests.Audit;

/// <summary>The hash chain over the audit log: sealed in a stable order, and any change behind the console's back caught.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class AuditChainTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;
    private AuditChain Chain => console.Service<AuditChain>();

    // The background sealer runs once at start and then stays out of the way, so each test decides when sealing happens.
    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres, "--Audit:SealInterval=01:00:00");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    private async Task<long> ActivityAsync()
    {
        var producer = await console.ProducerAsync();
        await using var client = await ProducerClient.ConnectAsync(console.BaseAddress, producer.ApiKey);
        var receipts = await client.SubmitBatchAsync(
            [GenerationBuilder.Queued().Build(), GenerationBuilder.AutoBlocked().Build(), GenerationBuilder.AutoApproved().Build()]);
        Assert.All(receipts, r => Assert.Equal(ReceiptStatus.Accepted, r.Status));
        await console.PersonAsync("moderator");
        await using var connection = await console.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from audit_log");
    }

    /// <summary>
    /// Seals until every entry is chained. Sealing waits for every writing transaction of the cluster that began
    /// earlier, and tests on other databases of the same cluster write concurrently, so one round may not be enough.
    /// </summary>
    private async Task SealAllAsync()
    {
        await using var connection = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () =>
        {
            await Chain.SealAsync();
            return await connection.ExecuteScalarAsync<long>(AuditChain.AwaitingSealCount) == 0;
        });
    }

    /// <summary>What an attacker with the owner's database access does: switch off the append-only triggers (and foreign keys) and edit.</summary>
    private async Task TamperAsync(string sql, object? parameters = null)
    {
        await using var connection = await console.OpenOwnerConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("set local session_replication_role = replica", transaction: transaction);
        await connection.ExecuteAsync(sql, parameters, transaction);
        await transaction.CommitAsync();
    }

    [Fact]
    public async Task Every_entry_is_chained_and_an_untouched_log_verifies()
    {
        var entries = await ActivityAsync();
        await SealAllAsync();

        var result = await Chain.VerifyAsync();

        Assert.True(result.Intact, result.ToString());
        Assert.Equal(entries, result.EntriesChecked);
        Assert.Equal(0, result.AwaitingSeal);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(Enumerable.Range(1, (int)entries).Select(n => (long)n),
            await connection.QueryAsync<long>("select position from audit_chain order by position"));
    }

    [Fact]
    public async Task An_entry_changed_behind_the_consoles_back_is_named()
    {
        await ActivityAsync();
        await SealAllAsync();
        await using var connection = await console.OpenConnectionAsync();
        var victim = await connection.ExecuteScalarAsync<long>("select min(id) from audit_log where action = 'item.decided'");

        await TamperAsync("update audit_log set details = jsonb_set(details, '{note}', '\"nothing to see\"') where id = @victim", new { victim });
        var result = await Chain.VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(victim, result.FirstBreak!.EntryId);
        Assert.Contains("content was changed", result.FirstBreak.Problem);
        Assert.Contains($"entry #{victim}", result.ToString());
    }

    [Fact]
    public async Task A_changed_timestamp_or_actor_is_caught_too()
    {
        await ActivityAsync();
        await SealAllAsync();
        await using var connection = await console.OpenConnectionAsync();
        var first = await connection.ExecuteScalarAsync<long>("select min(id) from audit_log");

        await TamperAsync("update audit_log set at = at - interval '1 microsecond' where id = @first", new { first });

        Assert.Equal(first, (await Chain.VerifyAsync()).FirstBreak?.EntryId);
    }

    [Fact]
    public async Task A_deleted_entry_and_a_removed_link_are_caught()
    {
        await ActivityAsync();
        await SealAllAsync();
        await using var connection = await console.OpenConnectionAsync();
        var victim = await connection.ExecuteScalarAsync<long>("select entry_id from audit_chain where position = 3");

        await TamperAsync("delete from audit_log where id = @victim", new { victim });
        var deleted = await Chain.VerifyAsync();
        await TamperAsync("delete from audit_chain where position = 3");
        var unlinked = await Chain.VerifyAsync();

        Assert.Equal(victim, deleted.FirstBreak?.EntryId);
        Assert.Contains("deleted", deleted.FirstBreak!.Problem);
        Assert.Equal(3, unlinked.FirstBreak?.Position);
        Assert.Contains("missing from the chain", unlinked.FirstBreak!.Problem);
    }

    private static readonly string[] Rewrites =
    [
        "update audit_log set action = 'x'", "delete from audit_log", "truncate audit_log cascade",
        "update audit_chain set hash = previous", "delete from audit_chain", "truncate audit_chain",
        "alter table audit_log disable trigger audit_log_append_only",
    ];

    [Fact]
    public async Task The_console_role_is_refused_any_update_delete_or_truncate_of_entries_and_links()
    {
        await ActivityAsync();
        await SealAllAsync();
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(ApplicationRole.EmbeddedLogin, await connection.ExecuteScalarAsync<string>("select current_user"));
        Assert.False(await connection.ExecuteScalarAsync<bool>(ApplicationRole.CanRewriteAuditSql));

        foreach (var sql in Rewrites)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.True(error.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
        }
        Assert.True(await connection.ExecuteScalarAsync<long>("select count(*) from audit_chain") > 0);
    }

    [Fact]
    public async Task A_console_connected_as_the_owner_reports_its_audit_log_unprotected_by_privileges()
    {
        await using var asOwner = await TestConsole.StartOnAsync(PostgresFixture.AsOwner(console.ConnectionString), "--Audit:SealInterval=01:00:00");
        using var http = new HttpClient { BaseAddress = asOwner.BaseAddress };

        var health = JsonDocument.Parse(await http.GetStringAsync(OperationsRegistration.HealthPath)).RootElement;

        var check = health.GetProperty("checks").GetProperty("audit-append-only");
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains(ApplicationRole.Group, check.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Even_the_owner_meets_the_append_only_triggers_unless_switching_them_off()
    {
        await ActivityAsync();
        await SealAllAsync();
        await using var connection = await console.OpenOwnerConnectionAsync();

        foreach (var sql in Rewrites.Where(sql => !sql.StartsWith("alter", StringComparison.Ordinal)))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.Contains("append-only", error.MessageText);
        }
    }

    [Fact]
    public async Task An_entry_of_a_transaction_still_open_waits_and_is_chained_in_order_once_it_commits()
    {
        await ActivityAsync();
        await SealAllAsync();
        var db = console.Service<Db>();
        await using var slow = await console.OpenConnectionAsync();
        await using var open = await slow.BeginTransactionAsync();
        await AuditLog.AppendAsync(slow, open, Actor.Console, "test.slow");
        await db.InTransactionAsync(async (c, t) => { await AuditLog.AppendAsync(c, t, Actor.Console, "test.fast"); return true; });

        await Chain.SealAsync();
        var whileOpen = await Chain.VerifyAsync();
        await open.CommitAsync();
        await SealAllAsync();
        var afterCommit = await Chain.VerifyAsync();

        // The fast entry committed first but was written by a later transaction: it waits for the slow one.
        Assert.True(whileOpen.Intact);
        Assert.True(whileOpen.AwaitingSeal >= 1);
        Assert.True(afterCommit.Intact, afterCommit.ToString());
        await using var connection = await console.OpenConnectionAsync();
        var order = (await connection.QueryAsync<string>(
            "select a.action from audit_chain c join audit_log a on a.id = c.entry_id where a.action like 'test.%' order by c.position")).ToList();
        Assert.Equal(["test.slow", "test.fast"], order);
    }

    [Fact]
    public async Task Audit_verify_on_the_command_line_exits_1_naming_the_altered_entry()
    {
        await ActivityAsync();
        await SealAllAsync();
        var intact = await ConsoleProcess.RunAsync(console.ConnectionString, null, "audit", "verify");
        await using var connection = await console.OpenConnectionAsync();
        var victim = await connection.ExecuteScalarAsync<long>("select max(entry_id) from audit_chain");

        await TamperAsync("update audit_log set actor_id = 'someone-else' where id = @victim", new { victim });
        var altered = await ConsoleProcess.RunAsync(console.ConnectionString, null, "audit", "verify");

        Assert.True(intact.ExitCode == 0, intact.Output + intact.Errors);
        Assert.Contains("intact", intact.Output);
        Assert.Equal(1, altered.ExitCode);
        Assert.Contains($"entry #{victim}", altered.Output);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("select count(*) from audit_log where action = 'audit.verified'"));
    }
}
