using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Security;

/// <summary>
/// The bad-input corpus, through the public hub: each entry is sent in a batch beside a good item and must be rejected
/// naming its field, store nothing, leave the good item accepted and the connection up. Hostile text that is valid
/// (SQL and script strings, right-to-left prose) is accepted and stored as plain text; the review screen renders it
/// inert and shows invisible characters (see ReviewItemViewTests and the browser tests).
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class BadInputCorpusTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private static JsonObject Good() => JsonSerializer.SerializeToNode(GenerationBuilder.Queued().Build(), JsonSerializerOptions.Web)!.AsObject();

    private static JsonObject With(string field, JsonNode? value)
    {
        var item = Good();
        item[field] = value;
        return item;
    }

    private static string Base64(byte[] bytes) => Convert.ToBase64String(bytes);

    /// <summary>The corpus: what is wrong, the item, and the field its rejection must name.</summary>
    public static TheoryData<string, string> Corpus => new()
    {
        { "generationId of the wrong type", "generationId" },
        { "userId over 128 characters", "userId" },
        { "prompt over 8,000 characters", "prompt" },
        { "prompt with a NUL byte", "prompt" },
        { "prompt with an escape sequence", "prompt" },
        { "userId with a right-to-left override", "userId" },
        { "generationId with a zero-width space", "generationId" },
        { "createdAt that is not a date", "createdAt" },
        { "scores as a string", "scores" },
        { "score above 1", "scores.sexual" },
        { "more than 32 metadata entries", "metadata" },
        { "image that is not base64", "image" },
        { "image bytes that are text", "image" },
        { "truncated PNG", "image" },
        { "decompression bomb: 60000 x 60000 pixels in a tiny file", "image" },
        { "jurisdiction that is not a country code", "jurisdiction" },
        { "ageVerified as a string", "ageVerified" },
        { "item that is not an object", "item" },
    };

    private static JsonNode? Entry(string name) => name switch
    {
        "generationId of the wrong type" => With("generationId", 12345),
        "userId over 128 characters" => With("userId", new string('u', 129)),
        "prompt over 8,000 characters" => With("prompt", new string('p', 8001)),
        "prompt with a NUL byte" => With("prompt", "a cat\0"),
        "prompt with an escape sequence" => With("prompt", "a cat \u001b[31m red"),
        "userId with a right-to-left override" => With("userId", "user-\u202Egpj.exe"),
        "generationId with a zero-width space" => With("generationId", "gen\u200B-1"),
        "createdAt that is not a date" => With("createdAt", "yesterday"),
        "scores as a string" => With("scores", "high"),
        "score above 1" => With("scores", new JsonObject { ["sexual"] = 1.5 }),
        "more than 32 metadata entries" => With("metadata", new JsonObject(Enumerable.Range(0, 33).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)"v")))),
        "image that is not base64" => With("image", "not base64 at all!"),
        "image bytes that are text" => With("image", Base64("<html><script>alert(1)</script></html>"u8.ToArray())),
        "truncated PNG" => With("image", Base64(Ingest.TestImages.Png(64, 64)[..40])),
        "decompression bomb: 60000 x 60000 pixels in a tiny file" => With("image", Base64(Ingest.TestImages.PngClaiming(60000, 60000))),
        "jurisdiction that is not a country code" => With("jurisdiction", "Germany"),
        "ageVerified as a string" => With("ageVerified", "yes"),
        "item that is not an object" => JsonValue.Create("just a string"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Each_bad_input_is_rejected_naming_its_field_storing_nothing_and_sparing_its_batch(string entry, string field) =>
        await BadInputAssertions.RejectedAloneAsync(console, producer, new JsonArray(Entry(entry), Good()), field);

    /// <summary>The same corpus as MessagePack maps (base64 images as strings): the same rejections.</summary>
    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Each_bad_input_is_rejected_the_same_way_over_MessagePack(string entry, string field)
    {
        await using var binary = await ProducerClient.ConnectAsync(console.BaseAddress, apiKey, messagePack: true);
        await BadInputAssertions.RejectedAloneAsync(console, binary, new[] { MessagePackValue(Entry(entry)), MessagePackValue(Good()) }, field);
    }

    /// <summary>A JSON value as the maps, arrays and primitives MessagePack-CSharp writes as their MessagePack counterparts.</summary>
    private static object? MessagePackValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject map => map.ToDictionary(entry => entry.Key, entry => MessagePackValue(entry.Value)),
        JsonArray array => array.Select(MessagePackValue).ToArray(),
        _ => node.Deserialize<JsonElement>() switch
        {
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Number } number => number.TryGetInt64(out var whole) ? whole : number.GetDouble(),
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => null,
        },
    };

    [Theory]
    [InlineData("'; drop table review_items; --")]
    [InlineData("<script>alert(document.cookie)</script>")]
    [InlineData("Robert'); DELETE FROM decisions WHERE ('1'='1")]
    [InlineData("صورة لقطة على الشاطئ \u200F with an RTL mark")]
    public async Task Hostile_but_valid_text_is_stored_exactly_as_sent(string prompt)
    {
        var item = GenerationBuilder.Queued().WithPrompt(prompt).Build();

        var receipt = await producer.SubmitAsync(item);

        Assert.Equal(ReceiptStatus.Accepted, receipt.Status);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(prompt, await connection.ExecuteScalarAsync<string>("select prompt from review_items where id = @id", new { id = receipt.ItemId }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from review_items"));
    }
}
