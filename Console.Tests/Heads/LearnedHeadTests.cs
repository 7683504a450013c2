using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Heads;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Scoring;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Heads;

/// <summary>
/// The console learns a category nsfwjs knows nothing about from moderators' decisions: pictures with a drawn symbol
/// are blocked for "hate" by three moderators through the real queue, the rest approved; a head trained on the stored
/// embeddings separates held-out pictures; in shadow mode it changes no route, once active it routes on its scores,
/// and a roll-back stops that. Each step is audited.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class LearnedHeadTests(PostgresFixture postgres) : IAsyncLifetime
{
    /// <summary>
    /// A head that learnt nothing has a ROC AUC of 0.5; with 20 held-out pictures on each side the AUC's standard error
    /// near 0.9 is about 0.05, so 0.85 is far from chance and still tolerant of a hard held-out draw. The symbol is bold
    /// enough that a general backbone's pooled features separate it almost perfectly.
    /// </summary>
    private const double RocAucBar = 0.85;
    private const int PerSide = 100;
    private const string Category = "hate";
    /// <summary>The default policy blocks hate from this score on.</summary>
    private const double AutoBlockAt = 0.9;

    private TestConsole console = null!;
    private ProducerClient producer = null!;
    private readonly Dictionary<long, bool> symbolOf = [];
    private int seed;
    private readonly Random order = new(17);

    public async ValueTask InitializeAsync()
    {
        console = await TestConsole.StartAsync(postgres, [.. DefaultModelFolder.ConsoleSettings, "--Heads:MinimumPositives=60", "--Heads:MinimumNegatives=60"]);
        producer = await ProducerClient.ConnectAsync(console.BaseAddress, (await console.ProducerAsync()).ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await producer.DisposeAsync();
        await console.DisposeAsync();
    }

    [Fact]
    public async Task A_head_learnt_from_decisions_separates_held_out_pictures_changes_nothing_in_shadow_and_routes_once_active()
    {
        var moderators = new List<ClaimsPrincipal>();
        for (var i = 0; i < 3; i++) moderators.Add((await console.PersonAsync(Roles.Moderator)).Principal);
        var admin = (await console.PersonAsync(Roles.Admin)).Principal;

        // Moderators work the queue: the symbol is blocked for hate, everything else approved.
        await SubmitAsync(PerSide, PerSide);
        for (var decided = 0; decided < 2 * PerSide; decided++)
        {
            var moderator = moderators[decided % moderators.Count];
            var claim = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;
            if (symbolOf[claim.ItemId]) await console.Service<ReviewActions>().BlockAsync(moderator, claim, [Category], null);
            else await console.Service<ReviewActions>().ApproveAsync(moderator, claim, null);
        }

        var trained = await console.Service<HeadTraining>().TrainAsync(Actor.User((await console.PersonAsync(Roles.Admin)).Account.Id), null, _ => Task.CompletedTask);

        Assert.Equal(2 * PerSide, trained.Labelled);
        var hate = Assert.Single(trained.Categories, c => c.Skipped is null);
        Assert.Equal(Category, hate.Category);
        Assert.True(hate.RocAuc >= RocAucBar, $"held-out ROC AUC {hate.RocAuc:0.000} is below {RocAucBar}");
        Assert.Equal(PerSide / 5, hate.HeldOutPositives); // the latest 20% of each side
        Assert.Equal(PerSide / 5, hate.HeldOutNegatives);
        Assert.Equal(3, hate.Moderators);
        Assert.Contains(trained.Categories, c => c.Category == "violence" && c.Skipped == "0 blocks for it; 60 needed");
        var source = trained.Source!;
        var version = source.Split('@')[1];
        var store = console.Service<ClassifierStore>();
        var registered = (await store.ListAsync()).Single(v => v.Source == source);
        Assert.False(registered.Active); // never live by itself
        Assert.Equal(Category, Assert.Single(registered.ParsedHeadMetrics, m => m.Skipped is null).Category);

        // Shadow mode: new pictures get the head's scores, and not one route changes.
        await store.ShadowAsync(admin, HeadTraining.ModelName, version);
        var shadowed = await SubmitAsync(10, 10);
        await ScoredByAsync(source, shadowed);
        await using var db = await console.OpenConnectionAsync();
        Assert.Equal(20, await db.ExecuteScalarAsync<int>(
            "select count(*) from review_items where id = any(@shadowed) and status = 'pending' and route = 'queued'", new { shadowed }));
        var headScores = await HeadScoresAsync(db, source, shadowed);
        var confident = shadowed.Where(id => headScores[id] >= AutoBlockAt).ToList();
        Assert.True(confident.Count(id => symbolOf[id]) >= 6, $"the head's scores of the symbol pictures: {Scores(headScores, true)}");
        Assert.True(confident.Count(id => !symbolOf[id]) <= 1, $"the head's scores of the plain pictures: {Scores(headScores, false)}");
        // The comparison says exactly which routes its scores would have changed: those at the policy's auto-block score.
        var difference = await console.Service<ShadowComparison>().CompareAsync(HeadTraining.ModelName, version);
        var wouldBlock = Assert.Single(difference.Changes);
        Assert.Equal(("queued (standard)", Routes.AutoBlocked, confident.Count), (wouldBlock.From, wouldBlock.To, wouldBlock.Items));

        // Activated: the head's scores route, and the pictures it is sure of are blocked without a person.
        await store.ActivateAsync(admin, HeadTraining.ModelName, version);
        var routed = await SubmitAsync(10, 10);
        await ScoredByAsync(source, routed);
        var routedScores = await HeadScoresAsync(db, source, routed);
        var sure = routed.Where(id => routedScores[id] >= AutoBlockAt).OrderBy(id => id).ToList();
        Assert.True(sure.Count(id => symbolOf[id]) >= 6, $"the head's scores of the symbol pictures: {Scores(routedScores, true)}");
        List<long> blocked = [];
        // Routing follows the scores' commit in a transaction of its own.
        await Eventually.TrueAsync(async () => (blocked = (await db.QueryAsync<long>(
                "select id from review_items where id = any(@routed) and route = 'auto_blocked' order by id", new { routed })).ToList()).SequenceEqual(sure),
            () => $"blocked #{string.Join(", #", blocked)}; the head is sure of #{string.Join(", #", sure)}");
        // Its automatic blocks are never labels: the next training sees the people's 200 decisions only.
        Assert.Equal(2 * PerSide, (await console.Service<HeadTraining>().LabelsAsync(DefaultModelFolder.Source)).Count);

        // One click back: nothing routes on the head any more.
        Assert.Null(await store.RollBackAsync(admin, HeadTraining.ModelName, version));
        Assert.False((await store.ListAsync()).Single(v => v.Source == source).Active);
        var actions = (await db.QueryAsync<string>(
            "select action from audit_log where action like 'classifier.%' and details->>'name' = @ModelName order by id",
            new { HeadTraining.ModelName })).ToList();
        Assert.Equal([ScoringAuditActions.ClassifierTrained, ScoringAuditActions.ClassifierShadowed, ScoringAuditActions.ClassifierActivated,
            ScoringAuditActions.ClassifierRolledBack], actions);
    }

    /// <summary>Sends pictures with and without the symbol, mixed, each from its own user; returns their item ids.</summary>
    private async Task<long[]> SubmitAsync(int withSymbol, int without)
    {
        var ids = new List<long>();
        var sides = Enumerable.Repeat(true, withSymbol).Concat(Enumerable.Repeat(false, without)).OrderBy(_ => order.Next()).ToList();
        foreach (var symbol in sides)
        {
            seed++;
            var receipt = await producer.SubmitAsync(GenerationBuilder.Queued().WithUser($"user-{seed}").WithImage(ModerationConsole.Bench.SymbolTask.Png(seed, symbol)).Build());
            symbolOf[receipt.ItemId!.Value] = symbol;
            ids.Add(receipt.ItemId.Value);
        }
        return [.. ids];
    }

    private static async Task<Dictionary<long, double>> HeadScoresAsync(Npgsql.NpgsqlConnection db, string source, long[] ids) =>
        (await db.QueryAsync<(long Id, double Score)>(
            "select item_id, score from item_scores where source = @source and category = @Category and item_id = any(@ids)", new { source, Category, ids }))
        .ToDictionary(s => s.Id, s => s.Score);

    private string Scores(Dictionary<long, double> scores, bool symbol) =>
        string.Join(", ", scores.Where(s => symbolOf[s.Key] == symbol).Select(s => s.Value.ToString("0.00")));

    private async Task ScoredByAsync(string source, long[] ids)
    {
        await using var db = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () => await db.ExecuteScalarAsync<int>(
                "select count(distinct item_id) from item_scores where source = @source and item_id = any(@ids)", new { source, ids }) == ids.Length,
            () => $"not every item was scored by {source}", within: TimeSpan.FromSeconds(60));
    }
}
