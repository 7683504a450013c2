using System.Diagnostics;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench ladder</c>: what a decision pays for the account level. Moderators claim and decide seeded items (20 per
/// user) through the console's services, in alternating phases: blocking with the default ladder (each block writes a
/// strike, checks the account's standing, and applies warnings, restrictions and suspensions as they come due), against
/// the same moderators blocking with the ladder switched off (no steps: strikes are still kept, no action is taken).
/// Approving, the decision path with no account work at all, is shown for context.
/// </summary>
public sealed class LadderBenchmark : IBenchmark
{
    private const int Moderators = 8;
    private const int ItemsPerUser = 200;

    public string Name => "ladder";
    public string Summary => "decisions/s of 8 moderators blocking with the enforcement ladder, against the same blocks with the ladder switched off; goal ≥ 0.9";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var rows = run.Arguments.TakeIntOption("--rows", 10_000, 5_000_000) ?? 200_000;
        var seconds = run.Arguments.TakeIntOption("--seconds", 3, 600) ?? 10;
        var rounds = run.Arguments.TakeIntOption("--rounds", 1, 10) ?? 3;
        // Blocks written at once (no undo window): the ladder acts in the moderator's own decision, which is what is timed.
        // With a window it acts later, in the transaction that sends the held decision.
        var (services, _) = await run.StartConsoleAsync("--Queue:UndoWindow=00:00:00");
        var report = run.Report;
        System.Security.Claims.ClaimsPrincipal[] moderators;
        await using (var connection = await run.OpenConnectionAsync(ct))
        {
            await BenchSeed.ItemsAsync(connection, rows, pending: true, priorities: 1, users: rows / ItemsPerUser);
            moderators = await BenchSeed.ModeratorsAsync(connection, Moderators);
        }
        report.Figure("pending items seeded", rows, $"items of {rows / ItemsPerUser} users, so that accounts climb the ladder while timed");

        var claims = services.GetRequiredService<ClaimService>();
        var actions = services.GetRequiredService<ReviewActions>();
        var store = services.GetRequiredService<PolicyStore>();
        var ladder = (await store.LoadActiveAsync(ct)).Document;
        var noLadder = ladder with { Enforcement = ladder.Enforcement with { Steps = [], BanAtOnce = [] } };
        var adminId = await AdminAsync(run, ct);

        var warm = 0;
        await BenchWarmUp.UntilCompiledAsync(async _ =>
        {
            warm += await CycleAsync(claims, actions, moderators, block: warm % 2 == 0, TimeSpan.FromSeconds(1), ct);
            return true;
        }, 10);

        // Alternating phases, so that a machine getting busier or the tables growing weigh on both sides alike; the two
        // sides swap places every round, so that neither always follows the approvals.
        double approvals = 0, blocks = 0, plainBlocks = 0;
        async Task<int> PhaseAsync(bool block, PolicyDocument? policy)
        {
            if (policy is not null) await store.ActivateAsync(policy, "bench: " + (policy == ladder ? "default ladder" : "no ladder"), adminId, ct);
            await run.StartPhaseAsync("vacuum review_items", ct);
            return await CycleAsync(claims, actions, moderators, block, TimeSpan.FromSeconds(seconds), ct);
        }
        for (var round = 0; round < rounds; round++)
        {
            approvals += await PhaseAsync(block: false, null);
            if (round % 2 == 0)
            {
                blocks += await PhaseAsync(block: true, ladder);
                plainBlocks += await PhaseAsync(block: true, noLadder);
            }
            else
            {
                plainBlocks += await PhaseAsync(block: true, noLadder);
                blocks += await PhaseAsync(block: true, ladder);
            }
        }
        var timed = (double)rounds * seconds;

        await using (var connection = await run.OpenConnectionAsync(ct))
        {
            var applied = await connection.QueryAsync<(string Action, long Count)>("select action, count(*) from enforcements group by action order by 2 desc");
            report.Figure("actions the ladder took while timed and warming up", applied.Sum(a => a.Count),
                string.Join(", ", applied.Select(a => $"{a.Action} {a.Count}")));
        }
        report.Figure("approving (no account work, for context)", approvals / timed, "decisions/s");
        report.Figure("blocking with the ladder switched off (strikes only)", plainBlocks / timed, "decisions/s");
        report.Figure("blocking with the default ladder", blocks / timed, "decisions/s");
        report.Ratio("blocking with the ladder / with it switched off", blocks / timed, plainBlocks / timed, goal: 0.9);
    }

    /// <summary>Each moderator claims and decides until the time is up; the decisions made.</summary>
    private static async Task<int> CycleAsync(ClaimService claims, ReviewActions actions, System.Security.Claims.ClaimsPrincipal[] moderators,
        bool block, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(moderators.Select(moderator => Task.Run(async () =>
        {
            var decided = 0;
            while (clock.Elapsed < duration && await claims.ClaimNextAsync(moderator, Queues.Standard, ct) is { } claim)
            {
                if (block) await actions.BlockAsync(moderator, claim, ["sexual"], null, ct);
                else await actions.ApproveAsync(moderator, claim, null, ct);
                decided++;
            }
            return decided;
        }, ct)));
        return counts.Sum();
    }

    private static async Task<long> AdminAsync(BenchRun run, CancellationToken ct)
    {
        await using var connection = await run.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            "insert into users (email, password_hash, role) values ('bench-admin@example.org', 'not a hash', 'admin') returning id");
    }
}
