using System.Security.Claims;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Queue;
using ModerationConsole.Review;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Enforcement;

/// <summary>Steps the account specifications share: a user's generations reviewed by a person.</summary>
internal static class AccountTestSteps
{
    /// <summary>Submits one queued generation of <paramref name="userId"/>; a moderator claims it and blocks it for <paramref name="category"/>.</summary>
    public static async Task<long> BlockOneAsync(this TestConsole console, ProducerClient client, ClaimsPrincipal moderator, string userId,
        string category = "sexual", string queue = Queues.Standard, string? language = null)
    {
        var builder = queue == Queues.Standard ? GenerationBuilder.Queued() : GenerationBuilder.Escalated();
        var receipt = await client.SubmitAsync(builder.WithUser(userId).WithLanguage(language).Build());
        var claim = await console.Service<ClaimService>().ClaimNextAsync(moderator, queue)
                    ?? throw new InvalidOperationException("nothing to claim");
        Assert.Equal(receipt.ItemId, claim.ItemId);
        await console.Service<ReviewActions>().BlockAsync(moderator, claim, [category], null);
        return claim.ItemId;
    }

    public static async Task<long> DecisionOfAsync(this TestConsole console, long itemId)
    {
        await using var connection = await console.OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "select max(id) from decisions where item_id = @itemId", new { itemId });
    }
}
