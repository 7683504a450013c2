using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Checks;
using ModerationConsole.Ingest;

namespace ModerationConsole.Simulate;

/// <summary>
/// The simulated platform asks before it generates, as a real one should: each generation is checked first
/// (<c>CheckBatch</c> on the hub), and what the console refuses is never made or sent.
/// </summary>
static class CheckFirst
{
    /// <summary>The generations the console allows; the others are counted by the caller as refused.</summary>
    public static async Task<List<FlaggedGeneration>> AllowedAsync(HubConnection connection, IReadOnlyList<FlaggedGeneration> generations,
        CancellationToken ct)
    {
        var allowed = new List<FlaggedGeneration>(generations.Count);
        foreach (var chunk in generations.Chunk(CheckValidation.MaxBatch))
        {
            var verdicts = await AnsweredAsync(connection, new CheckBatch(chunk.Select(Request).ToList()), ct);
            allowed.AddRange(chunk.Where((_, i) => Verdicts.Allows(verdicts.Verdicts[i].Verdict)));
        }
        return allowed;
    }

    /// <summary>Asks until the console answers: the same check ids asked again answer the verdicts already stored.</summary>
    private static async Task<CheckBatchVerdicts> AnsweredAsync(HubConnection connection, CheckBatch batch, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await connection.InvokeAsync<CheckBatchVerdicts>("CheckBatch", batch, ct);
            }
            catch (HubException ex) when (ex.Message.Contains(IngestHub.UnavailablePrefix, StringComparison.Ordinal) && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && SimulatedProducer.LostConnection(ex))
            {
                await SimulatedProducer.WaitUntilConnectedAsync(connection, ct);
            }
        }
    }

    /// <summary>The check for a generation; its features follow from the generation id, so runs repeat.</summary>
    private static CheckRequest Request(FlaggedGeneration g)
    {
        var n = g.GenerationId!.Aggregate(17u, (hash, c) => hash * 31 + c) % 20;
        string[] features = n switch { 0 or 1 => ["photoreal_people"], 2 => ["image_edit"], 3 => ["adult"], _ => [] };
        return new CheckRequest(g.GenerationId, g.UserId, g.UserTier, g.AgeVerified ?? false, g.Jurisdiction, g.Prompt, g.NegativePrompt, g.Model, features);
    }
}
