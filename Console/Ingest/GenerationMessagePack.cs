// Hand-written reader: the JSON reader's per-field errors over MessagePack, so a value of the wrong type is a field error, not a failed call.
using System.Buffers;
using MessagePack;
using ModerationConsole.Ingest.Validation;

namespace ModerationConsole.Ingest;

/// <summary>
/// Reads a <see cref="FlaggedGeneration"/> from MessagePack field by field, as <see cref="GenerationJson"/> does from
/// JSON: a wrong type is a rejection naming that field, unknown keys are stepped over. The image may come as binary
/// (its bytes, the natural form in MessagePack: a quarter fewer bytes on the wire than base64, and nothing to decode) or as a base64
/// string, as in JSON. Only a message that is not MessagePack at all fails the call. Values are stepped over with
/// MessagePack-CSharp's Skip, which does not recurse: hostile nesting costs no stack (a spec nests 100,000 deep).
/// </summary>
public static class GenerationMessagePack
{
    public static SubmittedGeneration Read(ref MessagePackReader reader, IngestOptions options)
    {
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            var got = Describe(reader.NextMessagePackType);
            reader.Skip();
            return SubmittedGeneration.NotAnObject(got);
        }

        var item = new FlaggedGeneration();
        var image = Base64Image.Missing;
        var errors = new List<FieldError>();
        var fields = Entries(reader.ReadMapHeader());
        for (var i = 0; i < fields; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                // Only text names a field; a key of another type is as unknown as a name from a newer contract.
                reader.Skip();
                reader.Skip();
                continue;
            }
            var name = reader.ReadString()!;
            switch (name)
            {
                case "generationId": item.GenerationId = ReadString(ref reader, name, errors); break;
                case "userId": item.UserId = ReadString(ref reader, name, errors); break;
                case "prompt": item.Prompt = ReadString(ref reader, name, errors); break;
                case "negativePrompt": item.NegativePrompt = ReadString(ref reader, name, errors); break;
                case "model": item.Model = ReadString(ref reader, name, errors); break;
                case "createdAt": item.CreatedAt = ReadString(ref reader, name, errors); break;
                case "image": image = ReadImage(ref reader, options, errors); break;
                case "jurisdiction": item.Jurisdiction = ReadString(ref reader, name, errors); break;
                case "language": item.Language = ReadString(ref reader, name, errors); break;
                case "userTier": item.UserTier = ReadString(ref reader, name, errors); break;
                case "ageVerified":
                    if (reader.NextMessagePackType == MessagePackType.Boolean) item.AgeVerified = reader.ReadBoolean();
                    else if (!reader.TryReadNil()) WrongType(ref reader, name, "must be true or false", errors);
                    break;
                case "scores": item.Scores = ReadScores(ref reader, errors); break;
                case "metadata": item.Metadata = ReadMetadata(ref reader, errors); break;
                default: reader.Skip(); break;
            }
        }
        return new SubmittedGeneration(item, image, errors);
    }

    /// <summary>
    /// A batch: an array read item by item (past the batch limit counted, not read), one map as a batch of one, and
    /// anything else kept as its kind only, in JSON's terms, which is what the hub and its error messages speak.
    /// </summary>
    public static SubmittedBatch ReadBatch(ref MessagePackReader reader, IngestOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                var count = Entries(reader.ReadArrayHeader());
                var items = new List<SubmittedGeneration>(Math.Min(count, options.MaxBatchSize));
                for (var i = 0; i < count; i++)
                    if (i < options.MaxBatchSize) items.Add(Read(ref reader, options));
                    else reader.Skip();
                return new SubmittedBatch(items, System.Text.Json.JsonValueKind.Array, count);
            case MessagePackType.Map:
                return SubmittedBatch.Of(Read(ref reader, options));
            default:
                reader.Skip();
                return new SubmittedBatch([], System.Text.Json.JsonValueKind.Undefined, 0);
        }
    }

    private static string? ReadString(ref MessagePackReader reader, string field, List<FieldError> errors)
    {
        if (reader.NextMessagePackType == MessagePackType.String) return reader.ReadString();
        if (!reader.TryReadNil()) WrongType(ref reader, field, "must be a string", errors);
        return null;
    }

    private static Base64Image ReadImage(ref MessagePackReader reader, IngestOptions options, List<FieldError> errors)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Binary:
                return FromBinary(reader.ReadBytes()!.Value, options);
            case MessagePackType.String:
                var text = reader.ReadStringSequence()!.Value;
                if (text.IsSingleSegment) return ImageField.FromUtf8(text.FirstSpan, options);
                // A string split across the message's buffers: refused on its length before it is copied.
                if (ImageField.TooLong(text.Length, options) is { } tooLong) return tooLong;
                var buffer = ArrayPool<byte>.Shared.Rent((int)text.Length);
                try
                {
                    text.CopyTo(buffer);
                    return ImageField.FromUtf8(buffer.AsSpan(0, (int)text.Length), options);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            case MessagePackType.Nil:
                reader.ReadNil();
                return Base64Image.Missing;
            default:
                WrongType(ref reader, "image", "must be binary (the image's bytes) or a base64 string", errors);
                return Base64Image.Missing;
        }
    }

    /// <summary>The image's bytes as sent, refused on their length before anything is copied.</summary>
    private static Base64Image FromBinary(ReadOnlySequence<byte> bytes, IngestOptions options)
    {
        if (bytes.IsEmpty) return Base64Image.Refused("must not be empty");
        if (bytes.Length > options.MaxImageBytes)
            return Base64Image.Refused($"must be at most {options.MaxImageBytes} bytes (got {bytes.Length})");
        // Not cleared first: every byte is written by the copy.
        var copy = GC.AllocateUninitializedArray<byte>((int)bytes.Length);
        bytes.CopyTo(copy);
        return new Base64Image(copy, null);
    }

    private static Dictionary<string, double>? ReadScores(ref MessagePackReader reader, List<FieldError> errors)
    {
        if (reader.TryReadNil()) return null;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            WrongType(ref reader, "scores", "must be an object of category name to number", errors);
            return null;
        }
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var entries = Entries(reader.ReadMapHeader());
        for (var i = 0; i < entries; i++)
        {
            if (KeyOf(ref reader, "scores", errors) is not { } name) continue;
            var field = "scores." + GenerationJson.Truncate(name, 64);
            if (reader.NextMessagePackType is not (MessagePackType.Integer or MessagePackType.Float))
                WrongType(ref reader, field, "must be a number in [0, 1]", errors);
            else if (!scores.TryAdd(name, reader.ReadDouble()))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return scores;
    }

    private static Dictionary<string, string>? ReadMetadata(ref MessagePackReader reader, List<FieldError> errors)
    {
        if (reader.TryReadNil()) return null;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            WrongType(ref reader, "metadata", "must be an object of string to string", errors);
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = Entries(reader.ReadMapHeader());
        for (var i = 0; i < entries; i++)
        {
            if (KeyOf(ref reader, "metadata", errors) is not { } name) continue;
            var field = "metadata." + GenerationJson.Truncate(name, 64);
            if (reader.NextMessagePackType != MessagePackType.String)
                WrongType(ref reader, field, "must be a string", errors);
            else if (!metadata.TryAdd(name, reader.ReadString()!))
                errors.Add(new FieldError(field, "appears more than once"));
        }
        return metadata;
    }

    /// <summary>
    /// A map entry's key when it is a string; otherwise an error naming the map, with the entry stepped over (JSON's
    /// keys are always strings, so this has no JSON counterpart).
    /// </summary>
    private static string? KeyOf(ref MessagePackReader reader, string map, List<FieldError> errors)
    {
        if (reader.NextMessagePackType == MessagePackType.String) return reader.ReadString()!;
        errors.Add(new FieldError(map, $"keys must be strings (got {Describe(reader.NextMessagePackType)})"));
        reader.Skip();
        reader.Skip();
        return null;
    }

    private static void WrongType(ref MessagePackReader reader, string field, string rule, List<FieldError> errors)
    {
        errors.Add(new FieldError(field, $"{rule} (got {Describe(reader.NextMessagePackType)})"));
        reader.Skip();
    }

    /// <summary>A container's count; a 32-bit count past int.MaxValue reads as negative and cannot be honest.</summary>
    private static int Entries(int count) =>
        count >= 0 ? count : throw new MessagePackSerializationException("A container declares more than 2^31 entries.");

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Boolean => "a boolean",
        MessagePackType.Integer or MessagePackType.Float => "a number",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "binary data",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an extension value",
        _ => "null",
    };
}
