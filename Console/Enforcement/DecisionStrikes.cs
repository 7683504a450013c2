using ModerationConsole.Data;
using ModerationConsole.Decisions;
using ModerationConsole.Policy;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>
/// What decisions do to their users' accounts, in the decisions' own transaction and batch: a block (or a restriction
/// whose outcome the policy weights) adds a weighted strike, an overturn lifts the strike of the decision it replaces, and the ladder (<see cref="Ladder"/>) then applies,
/// proposes or lifts actions. Approvals that replace nothing cost nothing here.
/// </summary>
/// <remarks>
/// The strikes and the standing they lead to travel in the decisions' own batch (<see cref="AddTo"/>); in a transaction
/// the ladder then acts in one more round trip (<see cref="ApplyAsync"/>), and a moderator's block alone acts in the
/// batch itself (<see cref="LadderInBatch"/>). Each account's row in platform_users
/// is locked first, in a fixed order, so two decisions about one user at once are evaluated one after the other: the
/// second sees the first one's strike and actions, and the standing is consistent.
/// </remarks>
public sealed class DecisionStrikes
{
    private readonly PolicyDocument policy;
    private readonly IReadOnlyList<(PendingDecision Decision, int Index)> relevant;
    private readonly (long ProducerId, string PlatformUserId)[] accounts;
    private readonly HashSet<long> lifted = [];
    private readonly Dictionary<(long, string), int> weights = [];
    private readonly Dictionary<(long, string), List<StandingAction>> standing = [];
    private readonly Dictionary<(long, string), string> languages = [];
    private readonly Dictionary<(long, string), List<long>> activeStrikes = [];
    private readonly List<CustomTemplate> templates = [];
    private long? noticeInBatch;
    private DateTimeOffset now;

    private readonly LadderHints? hints;

    private DecisionStrikes(PolicyDocument policy, IReadOnlyList<(PendingDecision, int)> relevant, LadderHints? hints)
    {
        this.policy = policy;
        this.hints = hints;
        this.relevant = relevant;
        accounts = relevant.Select(d => (d.Item1.ProducerId, d.Item1.PlatformUserId)).Distinct().Order().ToArray();
        foreach (var account in accounts) (standing[account], activeStrikes[account]) = ([], []);
    }

    public static bool Concerns(PendingDecision decision) => decision.Strikes || decision.Overturns is not null;

    private bool LadderIsOn => policy.Enforcement.Steps.Count > 0 || policy.Enforcement.BanAtOnce.Count > 0;

    /// <summary>
    /// Adds the strike statements and the standing reads to <paramref name="batch"/>, after the statements that write the
    /// decisions (so each block's decision is the newest of its item); null when no decision concerns a strike.
    /// </summary>
    /// <param name="unlessLadderActs">
    /// For one block in a batch without a transaction: instead of reading the standing back, the ladder acts in the
    /// batch itself (<see cref="LadderInBatch"/>), which fails (SQLSTATE MC001, <see cref="LadderActs"/>) when the notice
    /// it would write was rendered with a language or templates that changed; the caller then writes it in a transaction.
    /// </param>
    /// <param name="hints">What the batch renders notices with, and told what the transaction read (<see cref="LadderHints"/>).</param>
    public static DecisionStrikes? AddTo(NpgsqlBatch batch, PolicyDocument policy, IReadOnlyList<PendingDecision> pending, bool unlessLadderActs = false,
        LadderHints? hints = null)
    {
        var relevant = pending.Select((decision, i) => (decision, i)).Where(d => Concerns(d.decision)).ToList();
        if (relevant.Count == 0) return null;
        var work = new DecisionStrikes(policy, relevant, hints);
        var rules = policy.Enforcement;
        var blocks = relevant.Where(d => d.decision.Strikes).Select(d => d.decision).ToList();
        var producers = work.accounts.Select(a => a.ProducerId).ToArray();
        var users = work.accounts.Select(a => a.PlatformUserId).ToArray();

        batch.BatchCommands.Add(BatchCommand.Of(
            """
            insert into platform_users (producer_id, user_id)
            select * from unnest(@producers::bigint[], @users::text[]) order by 1, 2
            on conflict (producer_id, user_id) do update set strikes = platform_users.strikes
            """, ("producers", producers), ("users", users)));
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            update strikes s set lifted_at = now(), lifted_by_decision = (select o.id from decisions o where o.overturns = s.decision_id)
            where s.decision_id = any(@replaced) and s.lifted_at is null
            returning s.decision_id as lifted_decision
            """, ("replaced", relevant.Where(d => d.decision.Overturns is not null).Select(d => d.decision.Overturns!.Value).ToArray())));
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            insert into strikes (producer_id, user_id, decision_id, categories, weight, expires_at)
            select p, u, (select max(d.id) from decisions d where d.item_id = t.i), array(select jsonb_array_elements_text(c)), w,
                   now() + make_interval(days => @days)
            from unnest(@producers::bigint[], @users::text[], @items::bigint[], @categories::jsonb[], @weights::int[]) as t (p, u, i, c, w)
            """,
            ("producers", blocks.Select(b => b.ProducerId).ToArray()), ("users", blocks.Select(b => b.PlatformUserId).ToArray()),
            ("items", blocks.Select(b => b.ItemId).ToArray()),
            ("categories", blocks.Select(b => System.Text.Json.JsonSerializer.Serialize(b.Categories)).ToArray()),
            ("weights", blocks.Select(b => b.StrikeWeight(rules)).ToArray()), ("days", rules.StrikeExpiryDays)));
        if (!work.LadderIsOn) return work;
        if (unlessLadderActs)
        {
            if (relevant.Count != 1 || blocks.Count != 1 || blocks[0].Decision != DecisionKinds.Blocked || hints is null
                || hints.NeedTransaction(rules, blocks[0].Categories, !blocks[0].Automated))
                throw new InvalidOperationException("The ladder acts in the batch only for one block that needs no transaction.");
            var block = blocks[0];
            if (rules.Steps.Count > 0)
                batch.BatchCommands.Add(LadderInBatch.Command(policy, block, hints.LanguageOf(block.ProducerId, block.PlatformUserId), hints.Templates!));
            return work;
        }

        // The standing, and what a notice would be written with (NoticeContext), so that an action costs one more round trip.
        batch.BatchCommands.Add(BatchCommand.Of(
            """
            select a.p as standing_producer, a.u, coalesce(sum(s.weight), 0)::int, coalesce(array_agg(s.decision_id order by s.decision_id)
                       filter (where s.decision_id is not null), '{}'),
                   (select language from review_items r where r.producer_id = a.p and r.user_id = a.u and language is not null
                    order by r.id desc limit 1), now()
            from unnest(@producers::bigint[], @users::text[]) as a (p, u)
            left join strikes s on s.producer_id = a.p and s.user_id = a.u and s.lifted_at is null and s.expires_at > now()
            group by a.p, a.u
            """, ("producers", producers), ("users", users)));
        batch.BatchCommands.Add(BatchCommand.Of(
            $"""
            select v.version as templates_version, t.kind, t.category, t.language, t.title, t.body
            from ({NoticeTemplates.VersionSql}) as v (version) left join notice_templates t on true
            """));
        batch.BatchCommands.Add(BatchCommand.Of(
            $"""
            select e.producer_id as action_producer, e.user_id, e.id, e.action, e.state, e.origin, e.step_threshold, e.decision_id
            from enforcements e join unnest(@producers::bigint[], @users::text[]) as a (p, u) on e.producer_id = a.p and e.user_id = a.u
            where {InForceOrProposed}
            """, ("producers", producers), ("users", users)));
        return work;
    }

    /// <summary>Takes the result set the reader is on when it is one of these statements'; false otherwise.</summary>
    public async Task<bool> TryReadAsync(NpgsqlDataReader reader)
    {
        switch (reader.GetName(0))
        {
            case "lifted_decision":
                while (await reader.ReadAsync()) lifted.Add(reader.GetInt64(0));
                return true;
            case "standing_producer":
                while (await reader.ReadAsync())
                {
                    var account = (reader.GetInt64(0), reader.GetString(1));
                    weights[account] = reader.GetInt32(2);
                    activeStrikes[account].AddRange(reader.GetFieldValue<long[]>(3));
                    var language = reader.IsDBNull(4) ? null : reader.GetString(4);
                    languages[account] = NoticeTemplates.LanguageOf(language);
                    hints?.SawLanguage(account.Item1, account.Item2, language);
                    now = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(5), DateTimeKind.Utc));
                }
                return true;
            case "templates_version":
                var version = "";
                while (await reader.ReadAsync())
                {
                    version = reader.GetString(0);
                    if (!reader.IsDBNull(1))
                        templates.Add(new CustomTemplate(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
                }
                hints?.SawTemplates(new NoticeTemplateSet(templates.ToList(), version));
                return true;
            case LadderInBatch.ResultColumn:
                (var enforcement, noticeInBatch) = await LadderInBatch.ReadAsync(reader);
                if (enforcement is not null) hints?.WroteInBatch();
                return true;
            case "action_producer":
                while (await reader.ReadAsync())
                    standing[(reader.GetInt64(0), reader.GetString(1))].Add(new StandingAction(reader.GetInt64(2), reader.GetString(3),
                        reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt64(7)));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Once the batch has run: the ladder's verdict per account, and the actions it takes (their own round trips).</summary>
    public async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<long> ids)
    {
        if (!LadderIsOn) return;
        var rules = policy.Enforcement;
        var applying = new List<(NewEnforcement, NoticeContext)>();
        foreach (var account in accounts)
        {
            var mine = relevant.Where(d => (d.Decision.ProducerId, d.Decision.PlatformUserId) == account).ToList();
            var added = mine.Where(d => d.Decision.Strikes)
                .Select(d => new NewStrike(ids[d.Index], d.Decision.Categories, d.Decision.StrikeWeight(rules), !d.Decision.Automated)).ToList();
            var liftedHere = mine.Where(d => d.Decision.Overturns is { } o && lifted.Contains(o)).Select(d => d.Decision.Overturns!.Value).ToHashSet();
            var weight = weights[account];
            var changes = Ladder.Evaluate(rules, weight, standing[account], added, liftedHere);
            foreach (var lift in changes.Lift)
                await EnforcementWriter.LiftAsync(connection, transaction, lift.EnforcementId, null, lift.Reason);
            var context = new NoticeContext(now, languages[account], templates);
            applying.AddRange(changes.Apply.Select(apply => (new NewEnforcement(account.ProducerId, account.PlatformUserId,
                apply.Step, apply.Origin, apply.DecisionId, apply.Categories,
                apply.Origin == Ladder.OriginImmediate
                    ? "A person confirmed content in a category that closes the account at once."
                    : Ladder.ReachedStep(weight, apply.Step.Threshold),
                null, apply.Origin == Ladder.OriginImmediate ? [apply.DecisionId] : activeStrikes[account], weight), context)));
        }
        // Every account's actions in one round trip: an ingest batch that auto-blocks many users warns them together.
        if (applying.Count > 0) await EnforcementWriter.ApplyAllAsync(connection, transaction, policy, applying);
    }

    /// <summary>
    /// The message of the check that fails a block's batch when the ladder acts and the notice rendered for it does not
    /// match the database (<see cref="LadderInBatch"/>).
    /// </summary>
    public const string LadderActs = "the enforcement ladder acts";

    /// <summary>Announces, after commit, the notice of a rung the block's batch wrote (<see cref="LadderInBatch"/>).</summary>
    public Task AnnounceAsync(NpgsqlConnection connection) =>
        noticeInBatch is { } notice ? EnforcementWriter.AnnounceAsync(connection, null, notice) : Task.CompletedTask;

    /// <summary>An action counts while proposed, or active and not yet past its end.</summary>
    public const string InForceOrProposed = "(e.state = 'proposed' or (e.state = 'active' and (e.ends_at is null or e.ends_at > now())))";
}
