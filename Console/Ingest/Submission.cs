using System.Text.Json;
using System.Text.Json.Serialization;
using ModerationConsole.Ingest.Validation;

namespace ModerationConsole.Ingest;

/// <summary>
/// One generation as read off the wire (<see cref="GenerationJson"/>, <see cref="GenerationMessagePack"/>): the fields
/// that had the right type, the image already checked and decoded, and an error for each field of the wrong type.
/// <see cref="Item"/> is null when the value was not an object at all.
/// </summary>
public sealed record SubmittedGeneration(FlaggedGeneration? Item, Base64Image Image, IReadOnlyList<FieldError> TypeErrors)
{
    public static SubmittedGeneration NotAnObject(string got) =>
        new(null, Base64Image.Missing, [new FieldError("item", $"must be a JSON object (got {got})")]);

    /// <summary>The generationId as far as it could be read, so even a rejection receipt says which item it is about.</summary>
    public string? GenerationId => GenerationJson.Truncate(Item?.GenerationId, GenerationValidator.MaxIdLength);
}

/// <summary>
/// What a submission held: generations when it was an array (or one object), what kind of value it was (in JSON's
/// terms, whichever protocol carried it), and how many items it had. Past the batch limit items are counted, not read:
/// a batch that will be refused costs no image decoding.
/// </summary>
public sealed record SubmittedBatch(IReadOnlyList<SubmittedGeneration> Items, JsonValueKind Kind, int Count)
{
    public static SubmittedBatch Of(SubmittedGeneration item) => new([item], JsonValueKind.Object, 1);
}

/// <summary>
/// Binds <see cref="SubmittedGeneration"/> and <see cref="SubmittedBatch"/> arguments (the hub's JSON protocol and the
/// HTTP body alike) with <see cref="GenerationJson"/>, which needs the ingest limits to check the image as it reads it.
/// </summary>
public sealed class SubmissionJsonConverters
{
    private readonly IngestOptions options;

    public SubmissionJsonConverters(IngestOptions options)
    {
        this.options = options;
        ForBodies = new JsonSerializerOptions(JsonSerializerDefaults.Web) { MaxDepth = AnyDepth };
        AddTo(ForBodies);
    }

    /// <summary>
    /// Nesting is not limited: a value nested too deep for a field is that field's error (GenerationJson), and an unknown
    /// one is stepped over, as in MessagePack. The reader keeps a bit per level and steps over values without
    /// recursing, so the message size limit bounds what nesting costs.
    /// </summary>
    public const int AnyDepth = int.MaxValue;

    /// <summary>Options that read a request body into a <see cref="SubmittedBatch"/> (the HTTP ingest endpoint).</summary>
    public JsonSerializerOptions ForBodies { get; }

    public void AddTo(JsonSerializerOptions json)
    {
        json.Converters.Add(new GenerationConverter(options));
        json.Converters.Add(new BatchConverter(options));
    }

    private sealed class GenerationConverter(IngestOptions options) : JsonConverter<SubmittedGeneration>
    {
        public override bool HandleNull => true;

        public override SubmittedGeneration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions json) =>
            GenerationJson.Read(ref reader, options);

        public override void Write(Utf8JsonWriter writer, SubmittedGeneration value, JsonSerializerOptions json) =>
            throw new NotSupportedException("Submissions are only read.");
    }

    /// <summary>An array is read item by item; one object is a batch of one; anything else is kept as its kind only.</summary>
    private sealed class BatchConverter(IngestOptions options) : JsonConverter<SubmittedBatch>
    {
        public override bool HandleNull => true;

        public override SubmittedBatch Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions json)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    var items = new List<SubmittedGeneration>();
                    var count = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        if (++count <= options.MaxBatchSize) items.Add(GenerationJson.Read(ref reader, options));
                        else reader.Skip();
                    return new SubmittedBatch(items, JsonValueKind.Array, count);
                case JsonTokenType.StartObject:
                    return SubmittedBatch.Of(GenerationJson.Read(ref reader, options));
                default:
                    var kind = reader.TokenType switch
                    {
                        JsonTokenType.String => JsonValueKind.String,
                        JsonTokenType.Number => JsonValueKind.Number,
                        JsonTokenType.True => JsonValueKind.True,
                        JsonTokenType.False => JsonValueKind.False,
                        _ => JsonValueKind.Null,
                    };
                    reader.Skip();
                    return new SubmittedBatch([], kind, 0);
            }
        }

        public override void Write(Utf8JsonWriter writer, SubmittedBatch value, JsonSerializerOptions json) =>
            throw new NotSupportedException("Submissions are only read.");
    }
}
