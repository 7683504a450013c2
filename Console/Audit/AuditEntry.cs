namespace ModerationConsole.Audit;

public enum ActorKind { User, Producer, System }

/// <summary>Who did something: a signed-in person, a producer's API key, or the console itself.</summary>
public sealed record Actor(ActorKind Kind, string Id)
{
    public static readonly Actor Console = new(ActorKind.System, "console");
    public static Actor User(long userId) => new(ActorKind.User, userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static Actor Producer(long producerId) => new(ActorKind.Producer, producerId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string KindText => Kind.ToString().ToLowerInvariant();
}

/// <summary>The audit actions the console writes; auditors filter on these names, so they are stable.</summary>
public static class AuditActions
{
    public const string ItemIngested = "item.ingested";
    public const string ItemClaimed = "item.claimed";
    public const string ItemReleased = "item.released";
    public const string ItemEscalated = "item.escalated";
    public const string ItemNoteAdded = "item.note_added";
    public const string ItemSkipped = "item.skipped";
    public const string ItemDecided = "item.decided";
    public const string DecisionHeld = "item.decision_held";
    public const string DecisionUndone = "item.decision_undone";
    public const string ItemRerouted = "item.rerouted";
    public const string UserCreated = "user.created";
    public const string UserRoleChanged = "user.role_changed";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string UserSessionsEnded = "user.sessions_ended";
    public const string UserLogin = "user.login";
    public const string UserLoginFailed = "user.login_failed";
    public const string UserSecondFactorEnrolled = "user.second_factor_enrolled";
    public const string UserSecondFactorFailed = "user.second_factor_failed";
    public const string UserRecoveryCodeUsed = "user.recovery_code_used";
    public const string UserSecondFactorReset = "user.second_factor_reset";
    public const string UserPasswordChanged = "user.password_changed";
    public const string UserPasswordChangeRefused = "user.password_change_refused";
    public const string ProducerCreated = "producer.created";
    public const string ProducerKeyRotated = "producer.key_rotated";
    public const string ProducerRevoked = "producer.revoked";
    public const string PolicyActivated = "policy.activated";
    public const string ExportDownloaded = "export.downloaded";
    public const string ChainVerified = "audit.verified";
    public const string DecisionOverturned = "decision.overturned";
    public const string DecisionConfirmed = "decision.confirmed";
    public const string JobRequested = "job.requested";
    public const string JobCancelRequested = "job.cancel_requested";
    public const string JobFinished = "job.finished";
    public const string BankAdded = "bank.added";
    public const string BankRemoved = "bank.removed";
    public const string ClusterDecided = "cluster.decided";
    public const string EnforcementApplied = "enforcement.applied";
    public const string EnforcementProposed = "enforcement.proposed";
    public const string EnforcementConfirmed = "enforcement.confirmed";
    public const string EnforcementDismissed = "enforcement.dismissed";
    public const string EnforcementLifted = "enforcement.lifted";
    public const string NoticeTemplateSaved = "notice_template.saved";
    public const string CheckTermAdded = "check_term.added";
    public const string CheckTermChanged = "check_term.changed";
    public const string CheckTermRemoved = "check_term.removed";
    public const string NoticeTemplateReset = "notice_template.reset";
    public const string AppealReceived = "appeal.received";
    public const string AppealDecided = "appeal.decided";
}
