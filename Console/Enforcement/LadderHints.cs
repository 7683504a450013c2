using System.Collections.Concurrent;

namespace ModerationConsole.Enforcement;

/// <summary>
/// What a block's own batch needs to write the ladder's rung with its notice (<see cref="LadderInBatch"/>), as this
/// instance last read it: the language of each user's latest generation and the admins' notice templates. Only a guess:
/// the batch checks both against the database and fails when either changed, and the block is then written in a
/// transaction that reads them afresh and tells these hints.
/// </summary>
public sealed class LadderHints
{
    /// <summary>Enough for the accounts a team decides about in a while; past it the hints start afresh.</summary>
    public const int MaxAccounts = 200_000;

    private readonly ConcurrentDictionary<(long ProducerId, string UserId), string?> languages = new();
    private volatile NoticeTemplateSet? templates;
    private long actionsInBatch, retries;

    /// <summary>Actions the ladder wrote in a block's own batch (a metric; see ConsoleMetrics).</summary>
    public long ActionsInBatch => Interlocked.Read(ref actionsInBatch);

    /// <summary>Blocks whose batch failed because a hint was stale, and were written again in a transaction (a metric).</summary>
    public long Retries => Interlocked.Read(ref retries);

    public void WroteInBatch() => Interlocked.Increment(ref actionsInBatch);

    public void Retried() => Interlocked.Increment(ref retries);

    /// <summary>The account's language as its latest generation gave it (null when none did).</summary>
    public void SawLanguage(long producerId, string userId, string? language)
    {
        if (languages.Count >= MaxAccounts) languages.Clear();
        languages[(producerId, userId)] = language;
    }

    public void SawTemplates(NoticeTemplateSet set) => templates = set;

    /// <summary>An account not seen yet is guessed to have given no language.</summary>
    public string? LanguageOf(long producerId, string userId) => languages.TryGetValue((producerId, userId), out var language) ? language : null;

    /// <summary>Null until a transaction has read the templates once.</summary>
    public NoticeTemplateSet? Templates => templates;

    /// <summary>
    /// Whether a block needs more than its own batch can do: a person's block in a ban-at-once category (rare; it bans
    /// whatever the strikes), or any block before this instance has read the notice templates.
    /// </summary>
    public bool NeedTransaction(EnforcementPolicy rules, IReadOnlyList<string> categories, bool byPerson) =>
        (byPerson && categories.Any(rules.BanAtOnce.Contains)) || (rules.Steps.Count > 0 && templates is null);
}

/// <summary>The admins' notice templates and a digest PostgreSQL computes of them, to tell whether they changed.</summary>
public sealed record NoticeTemplateSet(IReadOnlyList<CustomTemplate> Templates, string Version);
