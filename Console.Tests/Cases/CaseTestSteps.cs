using System.Security.Claims;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Cases;

/// <summary>Steps the case specs share: a confirmed child-safety block through the real queue, and waiting for its case.</summary>
internal static class CaseTestSteps
{
    /// <summary>The producer sends a generation that escalates; a person of <paramref name="role"/> claims it and blocks it for sexual_minors.</summary>
    public static async Task<long> ConfirmedChildSafetyBlockAsync(this TestConsole console, ProducerClient producer, string user, int pictureSeed,
        string role = Roles.Senior, ClaimsPrincipal? by = null)
    {
        using var picture = TestPictures.Draw(seed: pictureSeed);
        var receipt = await producer.SubmitAsync(GenerationBuilder.Escalated().WithUser(user).WithImage(TestPictures.Png(picture)).Build());
        by ??= (await console.PersonAsync(role)).Principal;
        var claim = (await console.Service<ClaimService>().ClaimNextAsync(by, Queues.Escalation))!;
        Assert.Equal(receipt.ItemId, claim.ItemId);
        await console.Service<ReviewActions>().BlockAsync(by, claim, ["sexual_minors"], "Confirmed.");
        return claim.ItemId;
    }

    /// <summary>Waits until the intake has taken the item's block, and returns the case it went to (null: none).</summary>
    public static async Task<long?> CaseOfAsync(this TestConsole console, long itemId)
    {
        await using var connection = await console.OpenConnectionAsync();
        await Eventually.TrueAsync(async () => await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from case_intake i join decisions d on d.id = i.decision_id where d.item_id = @itemId)", new { itemId }),
            () => $"the intake did not take the block of item {itemId}");
        return await connection.ExecuteScalarAsync<long?>(
            "select i.case_id from case_intake i join decisions d on d.id = i.decision_id where d.item_id = @itemId", new { itemId });
    }
}
