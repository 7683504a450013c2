using System.Globalization;
using ModerationConsole.Bank;
using ModerationConsole.Enforcement;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Checks;

/// <summary>
/// Answers a platform's question before it generates, layer by layer, each reporting its reasons: the account's
/// standing (the enforcement ladder's actions), a recent spike of the account's refusals, verified access to sensitive
/// features, the admins' term lists, the prompt models' scores against the policy's thresholds, the source image
/// against the block bank, and last the user's hourly quotas (counted as the check is recorded, <see cref="CheckStore"/>).
/// </summary>
public sealed class GenerationChecker(CheckRules rules, StandingCache standings, ClassifierHost classifiers, BlockBank bank, CheckStore store,
    CheckScoreTally scores, PromptScoreBatcher prompts)
{
    public async Task<CheckVerdict> CheckAsync(long producerId, ValidCheck check, CancellationToken ct)
    {
        var ruleSet = await rules.CurrentAsync(ct);
        var policy = ruleSet.Policy.Document;
        var reasons = new List<CheckReason>();
        var verdict = Verdicts.Allow;
        string? notice = null;
        int? retryAfter = null;
        void Add(string outcome, CheckReason reason)
        {
            reasons.Add(reason);
            if (!reason.Shadow) verdict = Verdicts.Graver(verdict, outcome);
        }

        // The account: what the enforcement ladder and people put in force.
        var spike = policy.Checks.RefusalSpike;
        var (standing, refusals) = await standings.GetAsync(producerId, check.UserId, spike, ct);
        var verified = policy.Checks.IsVerified(check.UserTier, check.AgeVerified);
        var quotas = policy.Checks.Quotas.Where(q => q.AppliesTo(check.UserTier, check.Features)).Select(q => (q.Feature, q.PerHour)).ToList();
        switch (standing.Status)
        {
            case "banned":
                Add(Verdicts.Deny, new CheckReason("standing", "account_banned", null, "The account is closed."));
                notice = EnforcementActions.Ban;
                break;
            case "suspended":
                Add(Verdicts.Deny, new CheckReason("standing", "account_suspended", null,
                    $"The account is suspended until {standing.SuspendedUntil:yyyy-MM-dd HH:mm} UTC."));
                notice = EnforcementActions.Suspend;
                if (standing.SuspendedUntil is { } until) retryAfter = Math.Max(1, (int)Math.Ceiling((until - DateTimeOffset.UtcNow).TotalSeconds));
                break;
        }
        foreach (var feature in check.Features.Where(standing.RestrictedFeatures.Contains))
        {
            Add(Verdicts.Deny, new CheckReason("standing", "feature_restricted", null, $"The account may not use {feature} for now."));
            notice ??= EnforcementActions.Restrict;
        }
        if (standing.HourlyQuota is { } restrictedQuota) quotas.Add((FeatureQuota.AnyFeature, restrictedQuota));
        if (standing.VerificationRequired && !verified)
        {
            Add(Verdicts.RequireVerification, new CheckReason("standing", "verification_required", null, "The account must verify before it generates again."));
            notice ??= EnforcementActions.RequireVerification;
        }

        // A spike of refusals: what would be generated is reviewed.
        if (spike is not null && refusals.CountSince(DateTimeOffset.UtcNow - spike.Window) >= spike.Refusals)
            Add(Verdicts.AllowWithReview, new CheckReason("risk", "refusal_spike", null,
                $"At least {spike.Refusals} of the account's checks were refused in the last {spike.WithinMinutes} minutes."));

        // Verified access: sensitive features only for verified users.
        if (!verified)
            foreach (var feature in check.Features.Where(policy.Checks.VerifiedFeatures.Contains))
                Add(Verdicts.RequireVerification, new CheckReason("verified_access", "verification_needed", null,
                    $"{feature} is only for age-verified users or the tiers {string.Join(", ", policy.Checks.VerifiedTiers)}."));

        // Term lists: sexual_minors terms deny whatever the term's action says.
        foreach (var hit in ruleSet.Terms.Match(check.Prompt))
        {
            var term = hit.Term;
            var denies = term.Action == "deny" || policy.Find(term.Category)?.AlwaysHuman == true;
            Add(denies ? Verdicts.Deny : Verdicts.AllowWithReview, new CheckReason("terms", "term_listed", term.Category,
                $"The prompt matches a listed term ({term.Matching} match, #{term.Id}).", term.Shadow));
        }

        // The prompt models against the categories' thresholds for this user's jurisdiction and tier.
        foreach (var (name, version) in ruleSet.PromptModels)
        {
            var model = await classifiers.GetAsync(name, version, ct);
            var labelScores = await prompts.ScoreAsync(model, check.Prompt);
            var modelVersion = $"{name}@{version}";
            foreach (var (category, score) in ScoringService.CategoryScores(model.Manifest, labelScores))
            {
                scores.Add(modelVersion, category, score);
                if (policy.RuleFor(category, check.Jurisdiction, check.UserTier) is not { } rule) continue;
                var shown = score.ToString("0.00", CultureInfo.InvariantCulture);
                if (rule.AutoBlockAt is { } block && score >= block)
                    Add(Verdicts.Deny, new CheckReason("prompt_model", "prompt_score", category, $"{modelVersion} scores {shown}, at or over the block threshold {block}."));
                else if (score >= rule.ReviewAt)
                    // An always-human category (sexual_minors) is never generated to be reviewed afterwards.
                    Add(rule.AlwaysHuman ? Verdicts.Deny : Verdicts.AllowWithReview, new CheckReason("prompt_model", "prompt_score", category,
                        $"{modelVersion} scores {shown}, at or over the review threshold {rule.ReviewAt}."));
            }
        }

        // An edit of a banked image is an edit of content already blocked.
        if (check.Source is { } source && (await bank.MatchAsync([source], ct))[0] is { } match)
            Add(Verdicts.Deny, new CheckReason("source_image", "banked_source", match.Categories.FirstOrDefault(),
                $"The source image matches block bank entry #{match.BankEntryId} (distance {match.Distance})."));

        var stored = await store.RecordAsync(producerId, check, verdict, reasons, Verdicts.Allows(verdict) ? quotas : [], ct);
        if (stored.Verdict == Verdicts.Deny && !stored.Repeated) refusals.Add(DateTimeOffset.UtcNow);
        return new CheckVerdict(check.CheckId, stored.Verdict, stored.Reasons, stored.RetryAfter ?? (stored.Verdict == verdict ? retryAfter : null),
            Verdicts.Allows(stored.Verdict) ? null : notice);
    }
}
