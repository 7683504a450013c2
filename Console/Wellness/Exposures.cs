using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using ModerationConsole.Accounts;
using ModerationConsole.Data;

namespace ModerationConsole.Wellness;

/// <summary>A moderator's severe exposure over the rolling window and over the last day and week.</summary>
public sealed class ExposureSummary
{
    public long UserId { get; init; }
    public string Email { get; init; } = "";
    public int SevereInWindow { get; init; }
    public int SevereToday { get; init; }
    public int RevealedToday { get; init; }
    public int SevereThisWeek { get; init; }
    public DateTimeOffset? LastSevereAt { get; init; }
}

/// <summary>
/// Records what each moderator was shown of severe content and whether they revealed it, and answers when to
/// suggest a break. Exposure rows are the moderator's own wellness data: they change no decision and are not audited.
/// </summary>
public sealed class Exposures(Db db, IOptions<WellnessOptions> options)
{
    public WellnessOptions Options => options.Value;

    public bool IsSevere(int severity) => severity >= options.Value.SevereFromSeverity;

    /// <summary>
    /// Records that the item was shown. When this exposure completes another <see cref="WellnessOptions.BreakAfterSevere"/>
    /// severe items within the window, i.e. when to suggest a break, returns how many severe items the window holds;
    /// otherwise null. Showing the same item again counts once.
    /// </summary>
    public async Task<int?> RecordShownAsync(ClaimsPrincipal user, long itemId, int severity, CancellationToken ct = default)
    {
        var userId = user.UserId();
        if (!IsSevere(severity)) return null;
        var settings = options.Value;
        return await db.InTransactionAsync(async (connection, transaction) =>
        {
            var added = await connection.ExecuteAsync(
                """
                insert into moderator_exposures (user_id, item_id, severity) values (@userId, @itemId, @severity)
                on conflict (user_id, item_id) do nothing
                """, new { userId, itemId, severity }, transaction);
            if (added == 0 || settings.BreakAfterSevere == 0) return (int?)null;
            var inWindow = await CountSevereAsync(connection, transaction, userId, settings.Window);
            return inWindow % settings.BreakAfterSevere == 0 ? inWindow : null;
        }, ct);
    }

    public Task RecordRevealedAsync(ClaimsPrincipal user, long itemId, CancellationToken ct = default)
    {
        var userId = user.UserId();
        return db.InTransactionAsync((connection, transaction) => connection.ExecuteAsync(
            "update moderator_exposures set revealed_at = coalesce(revealed_at, now()) where user_id = @userId and item_id = @itemId",
            new { userId, itemId }, transaction), ct);
    }

    public async Task<ExposureSummary> MineAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = user.UserId();
        var rows = await SummariesAsync(userId, ct);
        return rows.SingleOrDefault() ?? new ExposureSummary { UserId = userId };
    }

    /// <summary>Every reviewer's exposure, most exposed first: for seniors and admins looking after the team.</summary>
    public Task<IReadOnlyList<ExposureSummary>> TeamAsync(ClaimsPrincipal user, CancellationToken ct = default) =>
        user.Satisfies(Policies.TeamWellness)
            ? SummariesAsync(null, ct)
            : throw new UnauthorizedAccessException("Your role may not see other moderators' exposure.");

    public async Task<bool> PrefersGreyscaleAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = user.UserId();
        var preference = await db.ReadAsync(connection =>
            connection.ExecuteScalarAsync<bool?>("select greyscale_images from users where id = @userId", new { userId }), ct);
        return preference ?? options.Value.GreyscaleByDefault;
    }

    public Task SetGreyscaleAsync(ClaimsPrincipal user, bool greyscale, CancellationToken ct = default)
    {
        var userId = user.UserId();
        return db.InTransactionAsync((connection, transaction) => connection.ExecuteAsync(
            "update users set greyscale_images = @greyscale where id = @userId", new { userId, greyscale }, transaction), ct);
    }

    private static Task<int> CountSevereAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, long userId, TimeSpan window) =>
        connection.ExecuteScalarAsync<int>(
            "select count(*)::int from moderator_exposures where user_id = @userId and shown_at > now() - @window",
            new { userId, window }, transaction);

    private async Task<IReadOnlyList<ExposureSummary>> SummariesAsync(long? userId, CancellationToken ct) =>
        (await db.ReadAsync(connection => connection.QueryAsync<ExposureSummary>(
            """
            select u.id as userid, u.email,
                   count(*) filter (where e.shown_at > now() - @window)::int as severeinwindow,
                   count(*) filter (where e.shown_at > now() - interval '1 day')::int as severetoday,
                   count(*) filter (where e.shown_at > now() - interval '1 day' and e.revealed_at is not null)::int as revealedtoday,
                   count(*)::int as severethisweek,
                   max(e.shown_at) as lastsevereat
            from users u
            join moderator_exposures e on e.user_id = u.id and e.shown_at > now() - interval '7 days'
            where @userId::bigint is null or u.id = @userId
            group by u.id, u.email
            order by severetoday desc, u.email
            """, new { userId, window = options.Value.Window }), ct)).ToList();
}
