using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Review;

/// <summary>A wave of near-identical generations is found from any one of them and decided once, item by item in the audit log.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class NearDuplicateClusterTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    /// <summary>Four edited copies of one picture from different users, one item of the same user, one of the same prompt, one unrelated.</summary>
    private async Task<Dictionary<string, long>> WaveAsync()
    {
        using var picture = TestPictures.Draw(seed: 77);
        using var smaller = TestPictures.Resize(picture, 0.7);
        using var cropped = TestPictures.Crop(picture, 0.01);
        var items = new Dictionary<string, (byte[] Image, string User, string Prompt)>
        {
            ["first"] = (TestPictures.Png(picture), "wave-1", "a photo of a famous singer, seed 1"),
            ["jpeg"] = (TestPictures.Jpeg(picture, 60), "wave-2", "totally different words here"),
            ["smaller"] = (TestPictures.Png(smaller), "wave-3", "something else entirely"),
            ["cropped"] = (TestPictures.Png(cropped), "wave-4", "yet another text"),
            ["same user"] = (Unrelated(1), "wave-1", "an unrelated landscape"),
            ["same prompt"] = (Unrelated(2), "bystander", "A photo of a famous singer, seed 99!"),
            ["unrelated"] = (Unrelated(3), "bystander-2", "a bowl of fruit"),
        };
        var ids = new Dictionary<string, long>();
        foreach (var (name, (image, user, prompt)) in items)
            ids[name] = (await producer.SubmitAsync(GenerationBuilder.Queued().WithImage(image).WithUser(user).WithPrompt(prompt).Build())).ItemId!.Value;
        return ids;
    }

    private static byte[] Unrelated(int n)
    {
        using var picture = TestPictures.Draw(seed: 1000 + n);
        return TestPictures.Png(picture);
    }

    [Fact]
    public async Task The_wave_is_found_by_image_user_and_prompt_shape_and_an_unrelated_item_is_not()
    {
        var ids = await WaveAsync();
        var (moderator, _) = await console.PersonAsync(Roles.Moderator);

        var near = (await console.Service<NearDuplicates>().FindAsync(ids["first"], moderator.Id)).ToDictionary(n => n.Id);

        foreach (var copy in new[] { "jpeg", "smaller", "cropped" })
            Assert.InRange(near[ids[copy]].ImageDistance!.Value, 0, 31);
        Assert.True(near[ids["same user"]].SameUser);
        Assert.Null(near[ids["same user"]].ImageDistance);
        Assert.True(near[ids["same prompt"]].SamePrompt);
        Assert.False(near.ContainsKey(ids["unrelated"]));
        Assert.False(near.ContainsKey(ids["first"]));
    }

    [Fact]
    public async Task One_decision_closes_the_chosen_cluster_each_item_with_its_own_decision_and_audit_entry_and_skips_a_held_one()
    {
        var ids = await WaveAsync();
        var claims = console.Service<ClaimService>();
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var (_, colleague) = await console.PersonAsync(Roles.Moderator);
        // The colleague holds one copy; the moderator holds the first item (claims go oldest first).
        var mine = (await claims.ClaimNextAsync(moderator, Queues.Standard))!;
        Assert.Equal(ids["first"], mine.ItemId);
        var theirs = (await claims.ClaimNextAsync(colleague, Queues.Standard))!;
        Assert.Equal(ids["jpeg"], theirs.ItemId);

        var cluster = new[] { ids["jpeg"], ids["smaller"], ids["cropped"] };
        var outcome = await console.Service<ReviewActions>().DecideAsync(moderator, mine,
            ReviewDecision.Block(["sexual"], "wave of the same picture") with { AlsoDecide = cluster });

        Assert.Equal([ids["smaller"], ids["cropped"]], outcome.ClusterDecided);
        Assert.Equal([ids["jpeg"]], outcome.ClusterSkipped);
        await using var connection = await console.OpenConnectionAsync();
        foreach (var id in new[] { ids["first"], ids["smaller"], ids["cropped"] })
        {
            Assert.Equal("blocked", await connection.ExecuteScalarAsync<string>("select decision from decisions where item_id = @id", new { id }));
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
                "select count(*) from audit_log where action = 'item.decided' and item_id = @id", new { id }));
        }
        Assert.Equal("pending", await connection.ExecuteScalarAsync<string>("select status from review_items where id = @id", new { id = ids["jpeg"] }));
        var audit = await connection.ExecuteScalarAsync<string>("select details::text from audit_log where action = 'cluster.decided'");
        Assert.Contains(ids["jpeg"].ToString(), audit);
        // Each platform user got their own strike.
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(*) from platform_users where strikes = 1"));
    }

    [Fact]
    public async Task A_moderator_cannot_carry_an_escalated_item_along()
    {
        var ids = await WaveAsync();
        var escalated = (await producer.SubmitAsync(GenerationBuilder.Escalated().WithUser("wave-1").Build())).ItemId!.Value;
        var (_, moderator) = await console.PersonAsync(Roles.Moderator);
        var mine = (await console.Service<ClaimService>().ClaimNextAsync(moderator, Queues.Standard))!;

        var outcome = await console.Service<ReviewActions>().DecideAsync(moderator, mine,
            ReviewDecision.Approve(null) with { AlsoDecide = [escalated, ids["same user"]] });

        Assert.Equal([ids["same user"]], outcome.ClusterDecided);
        Assert.Equal([escalated], outcome.ClusterSkipped);
    }
}
