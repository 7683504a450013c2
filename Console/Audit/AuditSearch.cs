using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using ModerationConsole.Data;

namespace ModerationConsole.Audit;

/// <summary>What auditors filter on. Every field is optional; times are UTC, From inclusive and To exclusive.</summary>
public sealed record AuditFilter
{
    /// <summary>The <see cref="Decision"/> value that selects blocks and restricted outcomes together.</summary>
    public const string Restricting = "restricting";

    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>The moderator (email) who decided or acted.</summary>
    public string? Moderator { get; init; }
    public string? Category { get; init; }
    /// <summary>approved or blocked.</summary>
    public string? Decision { get; init; }
    /// <summary>true: automatic decisions only; false: human decisions only.</summary>
    public bool? Automated { get; init; }
    public string? Producer { get; init; }
    /// <summary>The platform's pseudonymous user id.</summary>
    public string? PlatformUser { get; init; }
    public string? Jurisdiction { get; init; }
    /// <summary>An audit action name, e.g. item.decided (audit log only).</summary>
    public string? Action { get; init; }
}

public sealed record DecisionRecord(
    long Id, DateTimeOffset DecidedAt, string Decision, IReadOnlyList<string> Categories, bool Automated, string? Moderator,
    string Reason, string? Note, long ItemId, string GenerationId, string Producer, string PlatformUser, string? Jurisdiction,
    string Route, DateTimeOffset CreatedAt, DateTimeOffset ReceivedAt, string? Outcome = null);

public sealed record AuditRecord(
    long Id, DateTimeOffset At, string ActorKind, string ActorId, string? Actor, string Action, long? ItemId, string Details);

/// <summary>A page of newest-first results and the key of the next (older) page, if there is one.</summary>
public sealed record AuditPage<T>(IReadOnlyList<T> Rows, long? Before);

/// <summary>
/// Server-side search over decisions and the audit log. Pages by key (rows older than an id), never by offset, so a
/// page costs the same on the millionth row as on the first; every condition is a parameter, never spliced text.
/// </summary>
public sealed class AuditSearch(Db db)
{
    internal const string DecisionColumns =
        """
        d.id, d.decided_at as decidedat, d.decision, d.categories, d.automated, u.email as moderator, d.reason, d.note,
        d.item_id as itemid, r.generation_id as generationid, p.name as producer, r.user_id as platformuser, r.jurisdiction,
        r.route, r.created_at as createdat, r.received_at as receivedat, d.outcome
        """;

    internal const string DecisionTables =
        """
        decisions d
        join review_items r on r.id = d.item_id
        join producers p on p.id = d.producer_id
        left join users u on u.id = d.decided_by
        """;

    internal const string AuditColumns =
        """
        a.id, a.at, a.actor_kind as actorkind, a.actor_id as actorid,
        case a.actor_kind when 'user' then u.email when 'producer' then p.name else a.actor_id end as actor,
        a.action, a.item_id as itemid, a.details::text as details
        """;

    internal const string AuditTables =
        """
        audit_log a
        left join users u on a.actor_kind = 'user' and u.id::text = a.actor_id
        left join producers p on a.actor_kind = 'producer' and p.id::text = a.actor_id
        left join review_items r on r.id = a.item_id
        """;

    public async Task<AuditPage<DecisionRecord>> DecisionsAsync(AuditFilter filter, long? before, int pageSize, CancellationToken ct = default)
    {
        var (where, parameters) = DecisionConditions(filter);
        if (before is not null) { where.Append(" and d.id < @before"); parameters.Add("before", before); }
        parameters.Add("limit", pageSize + 1);
        var rows = await db.ReadAsync(c => c.QueryAsync<DecisionRow>(
            $"select {DecisionColumns} from {DecisionTables} where {where} order by d.id desc limit @limit", parameters), ct);
        return Page(rows.Select(r => r.ToRecord()).ToList(), pageSize, r => r.Id);
    }

    public async Task<AuditPage<AuditRecord>> EntriesAsync(AuditFilter filter, long? before, int pageSize, CancellationToken ct = default)
    {
        var (where, parameters) = AuditConditions(filter);
        if (before is not null) { where.Append(" and a.id < @before"); parameters.Add("before", before); }
        parameters.Add("limit", pageSize + 1);
        var rows = await db.ReadAsync(c => c.QueryAsync<AuditRow>(
            $"select {AuditColumns} from {AuditTables} where {where} order by a.id desc limit @limit", parameters), ct);
        return Page(rows.Select(r => r.ToRecord()).ToList(), pageSize, r => r.Id);
    }

    /// <summary>Every matching decision, oldest first, read row by row from a server cursor: for exports of any size.</summary>
    public async IAsyncEnumerable<DecisionRecord> AllDecisionsAsync(AuditFilter filter, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (where, parameters) = DecisionConditions(filter);
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        var rows = connection.QueryUnbufferedAsync<DecisionRow>(
            $"select {DecisionColumns} from {DecisionTables} where {where} order by d.id", parameters);
        await foreach (var row in rows.WithCancellation(ct)) yield return row.ToRecord();
    }

    /// <summary>Every matching audit entry, oldest first, row by row.</summary>
    public async IAsyncEnumerable<AuditRecord> AllEntriesAsync(AuditFilter filter, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (where, parameters) = AuditConditions(filter);
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        var rows = connection.QueryUnbufferedAsync<AuditRow>(
            $"select {AuditColumns} from {AuditTables} where {where} order by a.id", parameters);
        await foreach (var row in rows.WithCancellation(ct)) yield return row.ToRecord();
    }

    /// <summary>How many decisions (or, with <paramref name="auditLog"/>, audit entries) match: sizes an export before it starts.</summary>
    public Task<long> CountAsync(AuditFilter filter, bool auditLog, CancellationToken ct = default)
    {
        var (where, parameters) = auditLog ? AuditConditions(filter) : DecisionConditions(filter);
        var tables = auditLog ? AuditTables : DecisionTables;
        return db.ReadAsync(c => c.ExecuteScalarAsync<long>($"select count(*) from {tables} where {where}", parameters), ct);
    }

    static AuditPage<T> Page<T>(List<T> rows, int pageSize, Func<T, long> id) =>
        rows.Count > pageSize ? new(rows[..pageSize], id(rows[pageSize - 1])) : new(rows, null);

    /// <summary>The WHERE clause for decisions (always starting with "true") and its parameters.</summary>
    internal static (StringBuilder Where, DynamicParameters Parameters) DecisionConditions(AuditFilter f)
    {
        var where = new StringBuilder("true");
        var p = new DynamicParameters();
        void Add(string condition, string name, object value) { where.Append(" and ").Append(condition); p.Add(name, value); }
        if (f.From is { } from) Add("d.decided_at >= @from", "from", from);
        if (f.To is { } to) Add("d.decided_at < @to", "to", to);
        if (Text(f.Moderator) is { } moderator) Add("lower(u.email) = lower(@moderator)", "moderator", moderator);
        if (Text(f.Category) is { } category) Add("@category = any(d.categories)", "category", category);
        // "restricting": every decision the DSA asks a statement of reasons for, blocks and restricted outcomes (Policy/Outcomes.cs).
        if (Text(f.Decision) is AuditFilter.Restricting) where.Append(" and (d.decision = 'blocked' or d.outcome is not null)");
        else if (Text(f.Decision) is { } decision) Add("d.decision = @decision", "decision", decision);
        if (f.Automated is { } automated) Add("d.automated = @automated", "automated", automated);
        if (Text(f.Producer) is { } producer) Add("p.name = @producer", "producer", producer);
        if (Text(f.PlatformUser) is { } user) Add("r.user_id = @user", "user", user);
        if (Text(f.Jurisdiction) is { } jurisdiction) Add("r.jurisdiction = upper(@jurisdiction)", "jurisdiction", jurisdiction);
        return (where, p);
    }

    internal static (StringBuilder Where, DynamicParameters Parameters) AuditConditions(AuditFilter f)
    {
        var where = new StringBuilder("true");
        var p = new DynamicParameters();
        void Add(string condition, string name, object value) { where.Append(" and ").Append(condition); p.Add(name, value); }
        if (f.From is { } from) Add("a.at >= @from", "from", from);
        if (f.To is { } to) Add("a.at < @to", "to", to);
        if (Text(f.Moderator) is { } moderator) Add("lower(u.email) = lower(@moderator)", "moderator", moderator);
        if (Text(f.Action) is { } action) Add("a.action = @action", "action", action);
        if (Text(f.Producer) is { } producer)
            Add("(p.name = @producer or r.producer_id = (select id from producers where name = @producer))", "producer", producer);
        if (Text(f.PlatformUser) is { } user) Add("r.user_id = @user", "user", user);
        if (Text(f.Jurisdiction) is { } jurisdiction) Add("r.jurisdiction = upper(@jurisdiction)", "jurisdiction", jurisdiction);
        if (Text(f.Category) is { } category) Add("@category = any(r.route_categories)", "category", category);
        if (Text(f.Decision) is { } decision) Add("a.details->>'decision' = @decision", "decision", decision);
        return (where, p);
    }

    static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // Dapper rows: settable properties (Dapper cannot pass text[] to a constructor).
    internal sealed class DecisionRow
    {
        public long Id { get; init; }
        public DateTimeOffset DecidedAt { get; init; }
        public string Decision { get; init; } = "";
        public string[] Categories { get; init; } = [];
        public bool Automated { get; init; }
        public string? Moderator { get; init; }
        public string Reason { get; init; } = "";
        public string? Note { get; init; }
        public long ItemId { get; init; }
        public string GenerationId { get; init; } = "";
        public string Producer { get; init; } = "";
        public string PlatformUser { get; init; } = "";
        public string? Jurisdiction { get; init; }
        public string Route { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset ReceivedAt { get; init; }
        public string? Outcome { get; init; }

        public DecisionRecord ToRecord() => new(Id, DecidedAt, Decision, Categories, Automated, Moderator, Reason, Note, ItemId,
            GenerationId, Producer, PlatformUser, Jurisdiction, Route, CreatedAt, ReceivedAt, Outcome);
    }

    internal sealed class AuditRow
    {
        public long Id { get; init; }
        public DateTimeOffset At { get; init; }
        public string ActorKind { get; init; } = "";
        public string ActorId { get; init; } = "";
        public string? Actor { get; init; }
        public string Action { get; init; } = "";
        public long? ItemId { get; init; }
        public string Details { get; init; } = "";

        public AuditRecord ToRecord() => new(Id, At, ActorKind, ActorId, Actor, Action, ItemId, Details);
    }
}
