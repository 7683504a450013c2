using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using MessagePack;
using MessagePack.Formatters;
using ModerationConsole.Ingest;
using ModerationConsole.Policy;
using ModerationConsole.Simulate;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>
/// The ingest hub over SignalR's MessagePack protocol, with a real client over loopback: images as bytes, the contract's
/// names on the wire, and MessagePack's own kinds of bad input (the shared corpus runs over it in BadInputCorpusTests).
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class IngestMessagePackTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres, $"--Ingest:MaxImageBytes={MaxImageBytes}")
{
    private const int MaxImageBytes = 200_000;

    private ProducerClient binary = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        binary = await ProducerClient.ConnectAsync(console.BaseAddress, apiKey, messagePack: true, new RawFormatter());
    }

    public override async ValueTask DisposeAsync()
    {
        await binary.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Images_sent_as_binary_are_stored_byte_for_byte_and_receipts_carry_the_contracts_names()
    {
        var picture = SyntheticImages.Png(64, 48, seed: 77);
        var queued = GenerationBuilder.Queued().WithImage(picture).BuildMessagePackMap();
        var approved = GenerationBuilder.AutoApproved().BuildMessagePackMap();

        // Read as plain maps, so the names are the ones on the wire, not the console's own formatter read back.
        var receipts = await binary.InvokeRawAsync<Dictionary<string, object?>[]>("SubmitBatch", new[] { queued, approved });

        Assert.All(receipts, r => Assert.Equal(["errors", "generationId", "itemId", "route", "status"], r.Keys.Order()));
        Assert.Equal([ReceiptStatus.Accepted, ReceiptStatus.Accepted], receipts.Select(r => r["status"]));
        Assert.Equal([Routes.Queued, Routes.AutoApproved], receipts.Select(r => r["route"]));
        Assert.Equal([queued["generationId"], approved["generationId"]], receipts.Select(r => r["generationId"]));
        await using var db = await console.OpenConnectionAsync();
        var stored = await db.QuerySingleAsync<byte[]>(
            "select i.bytes from review_items r join images i on i.sha256 = r.image_sha256 where r.id = @id",
            new { id = Convert.ToInt64(receipts[0]["itemId"]) });
        Assert.Equal(picture, stored);
    }

    [Fact]
    public void Receipts_and_decision_notices_are_the_same_maps_as_in_json()
    {
        var options = IngestMessagePack.SerializerOptions(new IngestOptions());
        object[] values =
        [
            new IngestReceipt("gen-1", ReceiptStatus.Accepted, 42, Routes.Queued, null),
            IngestReceipt.Rejected("gen-2", [new FieldError("image", "must be valid base64"), new FieldError("prompt", "is required")]),
            new DecisionNotice("gen-3", 43, "blocked", ["violence", "hate"], "Blocked for violence.", true,
                new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), 7, Overturns: 5),
        ];

        foreach (var value in values)
        {
            var asMessagePack = JsonNode.Parse(MessagePackSerializer.ConvertToJson(MessagePackSerializer.Serialize(value.GetType(), value, options)))!.AsObject();
            var asJson = JsonSerializer.SerializeToNode(value, value.GetType(), JsonSerializerOptions.Web)!.AsObject();
            if (asJson["decidedAt"] is { } decidedAt)
            {
                // The same instant; .NET's JSON writes no zero fraction, ISO-8601 "O" writes seven digits.
                Assert.Equal(decidedAt.GetValue<DateTimeOffset>(), DateTimeOffset.Parse(asMessagePack["decidedAt"]!.GetValue<string>()));
                asMessagePack["decidedAt"] = decidedAt.DeepClone();
            }
            Assert.True(JsonNode.DeepEquals(asJson, asMessagePack), $"{asJson.ToJsonString()} against {asMessagePack.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Decisions_are_pushed_to_a_MessagePack_connection()
    {
        var item = GenerationBuilder.AutoBlocked().BuildMessagePackMap();

        var receipt = await binary.InvokeRawAsync<IngestReceipt>("Submit", item);
        var notice = await binary.NextDecisionAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(item["generationId"], notice.GenerationId);
        Assert.Equal(receipt.ItemId, notice.ItemId);
        Assert.Equal("blocked", notice.Decision);
        Assert.Contains("violence", notice.Categories);
        Assert.True(notice.Automated);
        Assert.InRange(notice.DecidedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    /// <summary>Each: a field's value as raw MessagePack bytes, and the field its rejection must name.</summary>
    public static TheoryData<string, string> Corpus => new()
    {
        { "image as a number", "image" },
        { "image as binary one byte over the limit", "image" },
        { "image as empty binary", "image" },
        { "image bytes that are not an image", "image" },
        { "scores keyed by a number", "scores" },
        { "a score nested 100,000 arrays deep", "scores.sexual" },
        { "metadata as an array", "metadata" },
        { "ageVerified as binary", "ageVerified" },
    };

    private static (string Field, byte[] Value) Entry(string name) => name switch
    {
        "image as a number" => ("image", MessagePackSerializer.Serialize(12345)),
        "image as binary one byte over the limit" => ("image", MessagePackSerializer.Serialize(new byte[MaxImageBytes + 1])),
        "image as empty binary" => ("image", MessagePackSerializer.Serialize(Array.Empty<byte>())),
        "image bytes that are not an image" => ("image", MessagePackSerializer.Serialize("<svg onload=alert(1)>"u8.ToArray())),
        "scores keyed by a number" => ("scores", MessagePackSerializer.Serialize(new Dictionary<int, double> { [1] = 0.5 })),
        "a score nested 100,000 arrays deep" => ("scores", [0x81, .. MessagePackSerializer.Serialize("sexual"), .. Nested(100_000)]),
        "metadata as an array" => ("metadata", MessagePackSerializer.Serialize(new[] { "a", "b" })),
        "ageVerified as binary" => ("ageVerified", MessagePackSerializer.Serialize(new byte[] { 1 })),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Each_bad_value_is_rejected_naming_its_field_and_the_rest_of_the_batch_is_accepted(string entry, string field)
    {
        var (key, value) = Entry(entry);
        var bad = WithRawValue(GenerationBuilder.Queued().BuildMessagePackMap(), key, value);

        await BadInputAssertions.RejectedAloneAsync(console, binary, new object[] { bad, GenerationBuilder.Queued().BuildMessagePackMap() }, field);
    }

    [Fact]
    public async Task An_unknown_field_is_stepped_over_however_deep_it_nests()
    {
        var item = WithRawValue(GenerationBuilder.Queued().BuildMessagePackMap(), "fromANewerContract", Nested(100_000));

        var receipt = await binary.InvokeRawAsync<IngestReceipt>("Submit", item);

        Assert.Equal(ReceiptStatus.Accepted, receipt.Status);
    }

    /// <summary>An array holding an array … <paramref name="depth"/> deep, around a nil.</summary>
    private static byte[] Nested(int depth) => [.. Enumerable.Repeat((byte)0x91, depth), 0xC0];

    /// <summary>The map with <paramref name="key"/> set to a value given as raw MessagePack.</summary>
    private static RawMessagePack WithRawValue(Dictionary<string, object?> map, string key, byte[] value)
    {
        map.Remove(key);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(map.Count + 1);
        foreach (var (name, field) in map)
        {
            writer.Write(name);
            writer.WriteRaw(MessagePackSerializer.Serialize(field));
        }
        writer.Write(key);
        writer.WriteRaw(value);
        writer.Flush();
        return new RawMessagePack(buffer.WrittenSpan.ToArray());
    }

    /// <summary>MessagePack bytes sent as they are, for values no .NET type would produce.</summary>
    private sealed record RawMessagePack(byte[] Bytes);

    private sealed class RawFormatter : IMessagePackFormatter<RawMessagePack>
    {
        public void Serialize(ref MessagePackWriter writer, RawMessagePack value, MessagePackSerializerOptions options) => writer.WriteRaw(value.Bytes);

        public RawMessagePack Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => throw new NotSupportedException();
    }
}
