using ModerationConsole.Tests.Infrastructure;
using System.Buffers;
using System.Text;
using System.Text.Json;
using ModerationConsole.Ingest;
using Xunit;

namespace ModerationConsole.Tests.Ingest;

/// <summary>
/// Reading generations straight from the message's UTF-8 (GenerationJson, through the converters the hub and the HTTP
/// endpoint bind with): the image decodes the same however the JSON carries it, and a value of the wrong type, however
/// deep, is stepped over whole so the fields and items after it read correctly.
/// </summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class GenerationJsonTests
{
    private static readonly byte[] Png = TestImages.Png(40, 30);

    private static string Item(string imageJson, string extra = "") =>
        $$"""{"generationId":"gen-1","userId":"u","prompt":"p","createdAt":"2024-05-01T12:30:00Z","image":{{imageJson}}{{extra}}}""";

    /// <summary>The JSON cut into pieces of <paramref name="size"/> bytes, as a large message arrives from the network.</summary>
    private static SubmittedBatch Read(string json, int size = int.MaxValue, IngestOptions? options = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Piece? first = null, last = null;
        for (var at = 0; at < bytes.Length; at += size)
        {
            var piece = new Piece(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            if (last is null) first = piece;
            else last.Next = piece;
            last = piece;
        }
        var reader = new Utf8JsonReader(new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length));
        return JsonSerializer.Deserialize<SubmittedBatch>(ref reader, new SubmissionJsonConverters(options ?? new IngestOptions()).ForBodies)!;
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public new Piece? Next { set => base.Next = value; }
    }

    [Theory]
    [InlineData("whole, no escapes", int.MaxValue, false)]
    [InlineData("in 7-byte pieces", 7, false)]
    [InlineData("whole, with escapes", int.MaxValue, true)]
    [InlineData("in 5-byte pieces, with escapes", 5, true)]
    public void The_image_decodes_to_the_same_bytes_however_the_json_carries_it(string how, int pieceSize, bool escaped)
    {
        var base64 = Convert.ToBase64String(Png);
        // JSON may escape any character; "\/" and "\u0041" are what some serialisers write for '/' and 'A'.
        var text = escaped ? base64.Replace("/", "\\/").Replace("A", "\\u0041") : base64;
        Assert.True(!escaped || text != base64, "the picture's base64 has characters to escape");

        var item = Assert.Single(Read($"[{Item($"\"{text}\"")}]", pieceSize).Items);

        Assert.Empty(item.TypeErrors);
        Assert.Null(item.Image.Error);
        Assert.Equal(Png, item.Image.Bytes);
        Assert.NotEmpty(how);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(64)]
    public void An_image_text_too_long_is_refused_with_its_length_whole_or_in_pieces(int pieceSize)
    {
        var json = $"[{Item($"\"{new string('A', 1369)}\"")}]";

        var item = Assert.Single(Read(json, pieceSize, new IngestOptions { MaxImageBytes = 1024 }).Items);

        Assert.Equal("must be at most 1024 bytes decoded, that is at most 1368 base64 characters (got 1369)", item.Image.Error);
    }

    [Fact]
    public void Values_of_the_wrong_type_are_named_and_stepped_over_whole_however_deep()
    {
        var base64 = Convert.ToBase64String(Png);
        var json = $$"""
            [
              {{Item("[1, {\"a\": [2, 3]}]",
                ",\"userId\":{\"nested\":{\"deeper\":[\"x\"]}},\"scores\":{\"sexual\":[0.5],\"violence\":0.2},\"metadata\":{\"k\":{\"v\":1}},\"ageVerified\":\"yes\",\"future\":{\"x\":[{}]}")}},
              42,
              {{Item($"\"{base64}\"")}}
            ]
            """;

        var items = Read(json, 11).Items;

        Assert.Equal(3, items.Count);
        Assert.Equal(
            ["image: must be a string (got an array)", "userId: must be a string (got an object)",
             "scores.sexual: must be a number in [0, 1] (got an array)", "metadata.k: must be a string (got an object)",
             "ageVerified: must be true or false (got a string)"],
            items[0].TypeErrors.Select(e => $"{e.Field}: {e.Message}"));
        Assert.Equal(0.2, items[0].Item!.Scores!["violence"]); // read on after the bad score
        Assert.Equal("gen-1", items[0].GenerationId);
        Assert.Null(items[1].Item);
        Assert.Equal("item: must be a JSON object (got a number)", $"{items[1].TypeErrors[0].Field}: {items[1].TypeErrors[0].Message}");
        Assert.Empty(items[2].TypeErrors);
        Assert.Equal(Png, items[2].Image.Bytes);
    }

    [Fact]
    public void Items_past_the_batch_limit_are_counted_not_read()
    {
        var image = $"\"{Convert.ToBase64String(Png)}\"";
        var json = "[" + string.Join(",", Enumerable.Range(0, 5).Select(_ => Item(image))) + "]";

        var batch = Read(json, options: new IngestOptions { MaxBatchSize = 3 });

        Assert.Equal(5, batch.Count);
        Assert.Equal(3, batch.Items.Count);
    }

    [Theory]
    [InlineData("{}", "Object", 1)]
    [InlineData("[]", "Array", 0)]
    [InlineData("\"text\"", "String", 0)]
    [InlineData("null", "Null", 0)]
    public void A_submission_is_an_array_of_items_or_one_object_and_anything_else_is_only_its_kind(string json, string kind, int items)
    {
        var batch = Read(json);

        Assert.Equal(Enum.Parse<JsonValueKind>(kind), batch.Kind);
        Assert.Equal(items, batch.Items.Count);
    }
}
