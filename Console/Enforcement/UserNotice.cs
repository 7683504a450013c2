namespace ModerationConsole.Enforcement;

// The account contract (docs/contract.md): what the platform is told about its users. Field names are a promise.

/// <summary>An action on an account as the platform enforces it.</summary>
/// <param name="State">active (enforce it until <see cref="EndsAt"/>), lifted (no longer enforce it).</param>
public sealed record EnforcementState(
    long EnforcementId,
    string Action,
    IReadOnlyList<string> Features,
    int? HourlyQuota,
    string State,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt);

/// <summary>What an appeal came to.</summary>
/// <param name="Outcome">upheld, overturned or modified.</param>
/// <param name="NewDecisionCursor">The decision that replaced the appealed one (overturned or modified), also in the decisions feed.</param>
public sealed record AppealOutcome(string AppealId, string Outcome, long? DecisionCursor, long? EnforcementId, long? NewDecisionCursor);

/// <summary>
/// The DSA Art. 17 statement of reasons, in the user's language: what was decided and why, whether automation decided,
/// and how to seek redress.
/// </summary>
/// <param name="Facts">The decisions (their cursors) and categories that led to it, and the active strike weight then.</param>
/// <param name="Ground">The policy's reason for each category, as the admin wrote it.</param>
public sealed record StatementOfReasons(
    string Language,
    string Title,
    string Text,
    NoticeFacts Facts,
    string Ground,
    bool Automated,
    Redress Redress);

public sealed record NoticeFacts(IReadOnlyList<long> DecisionCursors, IReadOnlyList<string> Categories, int? StrikeWeight);

/// <param name="AppealUntil">The end of the appeal window; null when the notice cannot be appealed (it ends a measure or an appeal).</param>
public sealed record Redress(DateTimeOffset? AppealUntil, string How);

/// <summary>
/// One change to a user's account (hub method <c>UserNotice</c>, and GET /api/v1/notices). <see cref="Kind"/> is
/// enforcement_applied, enforcement_lifted or appeal_decided; the id is the cursor, as for decisions.
/// </summary>
public sealed record UserNotice(
    long Cursor,
    string UserId,
    string Kind,
    EnforcementState? Enforcement,
    AppealOutcome? Appeal,
    StatementOfReasons Statement,
    DateTimeOffset CreatedAt);

public sealed record UserNoticePage(IReadOnlyList<UserNotice> Notices, long Cursor);

/// <summary>A user's standing now (GET /api/v1/users/{userId}/standing).</summary>
/// <param name="Status">ok, warned, restricted, verification_required, suspended or banned: the gravest action in force.</param>
public sealed record UserStanding(
    string UserId,
    string Status,
    int ActiveStrikeWeight,
    IReadOnlyList<string> RestrictedFeatures,
    int? HourlyQuota,
    bool VerificationRequired,
    DateTimeOffset? SuspendedUntil,
    IReadOnlyList<EnforcementState> ActiveEnforcements);
