using Dapper;
using Npgsql;

namespace ModerationConsole.Bench;

/// <summary>Bulk data for benchmarks, written by PostgreSQL itself (generate_series): seeding is never what is measured.</summary>
public static class BenchSeed
{
    public const string ModeratorEmail = "bench-moderator@example.org";

    /// <summary>
    /// One producer, one moderator, one image and <paramref name="rows"/> items routed under the active policy: decided
    /// (for exports), or pending in the standard queue with <paramref name="priorities"/> priorities taking turns (for
    /// claims; with one, the queue's head is also the oldest rows of the table). Needs the console started once on the
    /// database (the policy is installed then).
    /// </summary>
    public static Task ItemsAsync(NpgsqlConnection connection, int rows, bool pending, int priorities = 7, int users = 5000) => connection.ExecuteAsync(
        """
        insert into producers (name, key_hash, key_prefix) values ('bench-platform', '\x00', 'bench');
        insert into users (email, password_hash, role) values (@ModeratorEmail, 'not a hash', 'moderator');
        insert into images (sha256, content_type, width, height, byte_length, bytes) values ('\x01', 'image/png', 1, 1, 1, '\x00');
        insert into review_items (producer_id, generation_id, user_id, prompt, created_at, image_sha256, jurisdiction,
                                  policy_version, route, status, queue, priority, received_at)
        select (select id from producers where name = 'bench-platform'), 'gen-' || g, 'user-' || (g % @users),
               'photorealistic portrait of a person at the beach, prompt number ' || g, now() - interval '1 day', '\x01',
               case when g % 3 = 0 then 'DE' else 'FR' end, (select version from policies where active), 'queued',
               case when @pending then 'pending' else 'decided' end, case when @pending then 'standard' end,
               (g % @priorities) * 10, now() - interval '1 day' + g * interval '1 millisecond'
        from generate_series(1, @rows) g;
        analyze review_items;
        """, new { rows, pending, priorities, users, ModeratorEmail }, commandTimeout: 0);

    /// <summary><paramref name="count"/> moderators, bench-moderator-1@example.org and on, signed in as the services see them.</summary>
    public static async Task<System.Security.Claims.ClaimsPrincipal[]> ModeratorsAsync(NpgsqlConnection connection, int count)
    {
        var accounts = await connection.QueryAsync<Accounts.UserAccount>(
            """
            insert into users (email, password_hash, role)
            select 'bench-moderator-' || g || '@example.org', 'not a hash', 'moderator' from generate_series(1, @count) g
            returning id, email, role, created_at as createdat, disabled_at as disabledat
            """, new { count });
        return accounts.Select(a => Accounts.AccountPrincipal.For(a)).ToArray();
    }
}
