using System.Globalization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace ModerationConsole.Ingest;

/// <summary>
/// The ingest contract over SignalR's MessagePack protocol: the same names as in JSON (camelCase maps), the same
/// field-by-field reading of submissions (<see cref="GenerationMessagePack"/>), timestamps as ISO-8601 strings. Without
/// this, MessagePack-CSharp would name the receipts' keys after the C# properties (GenerationId) and bind submissions
/// with no field errors. .NET producers can use <see cref="SerializerOptions"/> for their own connection.
/// </summary>
public static class IngestMessagePack
{
    /// <summary>
    /// Options for the hub protocol: the contract's formatters first, MessagePack-CSharp's standard ones for the rest
    /// (arrays of receipts, and whatever a .NET producer sends, such as maps of field name to value), with its
    /// defences for data from untrusted parties.
    /// </summary>
    public static MessagePackSerializerOptions SerializerOptions(IngestOptions options) =>
        MessagePackSerializerOptions.Standard
            .WithResolver(CompositeResolver.Create(
                [
                    new GenerationFormatter(options), new BatchFormatter(options), new FlaggedGenerationFormatter(),
                    new ReceiptFormatter(), new FieldErrorFormatter(), new NoticeFormatter(),
                    new JsonShapedFormatter<Enforcement.UserNotice>(), new JsonShapedFormatter<Appeals.AppealRequest>(),
                    new JsonShapedFormatter<Appeals.AppealReceipt>(), new JsonShapedFormatter<Checks.CheckRequest>(),
                    new JsonShapedFormatter<Checks.CheckVerdict>(), new JsonShapedFormatter<Checks.CheckBatch>(),
                    new JsonShapedFormatter<Checks.CheckBatchVerdicts>(),
                ],
                [StandardResolver.Instance]))
            .WithSecurity(MessagePackSecurity.UntrustedData);

    private sealed class GenerationFormatter(IngestOptions options) : IMessagePackFormatter<SubmittedGeneration>
    {
        public SubmittedGeneration Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions _) =>
            GenerationMessagePack.Read(ref reader, options);

        public void Serialize(ref MessagePackWriter writer, SubmittedGeneration value, MessagePackSerializerOptions _) =>
            throw new NotSupportedException("Submissions are only read.");
    }

    private sealed class BatchFormatter(IngestOptions options) : IMessagePackFormatter<SubmittedBatch>
    {
        public SubmittedBatch Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions _) =>
            GenerationMessagePack.ReadBatch(ref reader, options);

        public void Serialize(ref MessagePackWriter writer, SubmittedBatch value, MessagePackSerializerOptions _) =>
            throw new NotSupportedException("Submissions are only read.");
    }

    /// <summary>
    /// A generation as a map of the contract's names: what a .NET producer sends over MessagePack, with the image as
    /// binary when its bytes are given, else as the base64 text the item holds.
    /// </summary>
    public static Dictionary<string, object?> Map(FlaggedGeneration item, byte[]? image = null) => new()
    {
        ["generationId"] = item.GenerationId, ["userId"] = item.UserId, ["prompt"] = item.Prompt,
        ["negativePrompt"] = item.NegativePrompt, ["model"] = item.Model, ["createdAt"] = item.CreatedAt,
        ["image"] = (object?)image ?? item.Image, ["scores"] = item.Scores, ["jurisdiction"] = item.Jurisdiction,
        ["userTier"] = item.UserTier, ["ageVerified"] = item.AgeVerified, ["metadata"] = item.Metadata,
        ["language"] = item.Language,
    };

    /// <summary>A .NET producer's <see cref="FlaggedGeneration"/>, written as its <see cref="Map"/>.</summary>
    private sealed class FlaggedGenerationFormatter : IMessagePackFormatter<FlaggedGeneration>
    {
        public void Serialize(ref MessagePackWriter writer, FlaggedGeneration value, MessagePackSerializerOptions options) =>
            options.Resolver.GetFormatterWithVerify<Dictionary<string, object?>>().Serialize(ref writer, Map(value), options);

        public FlaggedGeneration Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions _) =>
            throw new NotSupportedException("The console reads submissions as SubmittedGeneration, with field errors.");
    }

    private sealed class FieldErrorFormatter : IMessagePackFormatter<FieldError>
    {
        public void Serialize(ref MessagePackWriter writer, FieldError value, MessagePackSerializerOptions _)
        {
            writer.WriteMapHeader(2);
            writer.Write("field");
            writer.Write(value.Field);
            writer.Write("message");
            writer.Write(value.Message);
        }

        public FieldError Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            string? field = null, message = null;
            for (int entries = reader.ReadMapHeader(), i = 0; i < entries; i++)
                switch (reader.ReadString())
                {
                    case "field": field = reader.ReadString(); break;
                    case "message": message = reader.ReadString(); break;
                    default: reader.Skip(); break;
                }
            return new FieldError(field ?? "", message ?? "");
        }
    }

    private sealed class ReceiptFormatter : IMessagePackFormatter<IngestReceipt>
    {
        public void Serialize(ref MessagePackWriter writer, IngestReceipt value, MessagePackSerializerOptions options)
        {
            writer.WriteMapHeader(5);
            writer.Write("generationId");
            writer.Write(value.GenerationId);
            writer.Write("status");
            writer.Write(value.Status);
            writer.Write("itemId");
            if (value.ItemId is { } itemId) writer.Write(itemId);
            else writer.WriteNil();
            writer.Write("route");
            writer.Write(value.Route);
            writer.Write("errors");
            if (value.Errors is { } errors)
            {
                writer.WriteArrayHeader(errors.Count);
                var formatter = options.Resolver.GetFormatterWithVerify<FieldError>();
                foreach (var error in errors) formatter.Serialize(ref writer, error, options);
            }
            else writer.WriteNil();
        }

        public IngestReceipt Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            string? generationId = null, status = null, route = null;
            long? itemId = null;
            List<FieldError>? errors = null;
            for (int entries = reader.ReadMapHeader(), i = 0; i < entries; i++)
                switch (reader.ReadString())
                {
                    case "generationId": generationId = reader.ReadString(); break;
                    case "status": status = reader.ReadString(); break;
                    case "itemId": itemId = reader.TryReadNil() ? null : reader.ReadInt64(); break;
                    case "route": route = reader.ReadString(); break;
                    case "errors":
                        if (reader.TryReadNil()) break;
                        var formatter = options.Resolver.GetFormatterWithVerify<FieldError>();
                        var count = reader.ReadArrayHeader();
                        errors = new List<FieldError>(count);
                        for (var e = 0; e < count; e++) errors.Add(formatter.Deserialize(ref reader, options));
                        break;
                    default: reader.Skip(); break;
                }
            return new IngestReceipt(generationId, status ?? "", itemId, route, errors);
        }
    }

    private sealed class NoticeFormatter : IMessagePackFormatter<DecisionNotice>
    {
        public void Serialize(ref MessagePackWriter writer, DecisionNotice value, MessagePackSerializerOptions options)
        {
            writer.WriteMapHeader(11);
            writer.Write("generationId");
            writer.Write(value.GenerationId);
            writer.Write("itemId");
            writer.Write(value.ItemId);
            writer.Write("decision");
            writer.Write(value.Decision);
            writer.Write("categories");
            writer.WriteArrayHeader(value.Categories.Count);
            foreach (var category in value.Categories) writer.Write(category);
            writer.Write("reason");
            writer.Write(value.Reason);
            writer.Write("automated");
            writer.Write(value.Automated);
            writer.Write("decidedAt");
            writer.Write(value.DecidedAt.ToString("O", CultureInfo.InvariantCulture));
            writer.Write("cursor");
            writer.Write(value.Cursor);
            writer.Write("overturns");
            if (value.Overturns is { } overturns) writer.Write(overturns);
            else writer.WriteNil();
            writer.Write("outcome");
            writer.Write(value.Outcome);
            // The marking is nested and rare: the JSON protocol's shape, as the contract's other nested records.
            writer.Write("marking");
            Marking.Serialize(ref writer, value.Marking, options);
        }

        private static readonly JsonShapedFormatter<Decisions.Marking> Marking = new();

        public DecisionNotice Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            string? generationId = null, decision = null, reason = null, decidedAt = null, outcome = null;
            Decisions.Marking? marking = null;
            long itemId = 0, cursor = 0;
            long? overturns = null;
            var automated = false;
            var categories = new List<string>();
            for (int entries = reader.ReadMapHeader(), i = 0; i < entries; i++)
                switch (reader.ReadString())
                {
                    case "generationId": generationId = reader.ReadString(); break;
                    case "itemId": itemId = reader.ReadInt64(); break;
                    case "decision": decision = reader.ReadString(); break;
                    case "categories":
                        var count = reader.ReadArrayHeader();
                        for (var c = 0; c < count; c++) categories.Add(reader.ReadString()!);
                        break;
                    case "reason": reason = reader.ReadString(); break;
                    case "automated": automated = reader.ReadBoolean(); break;
                    case "decidedAt": decidedAt = reader.ReadString(); break;
                    case "cursor": cursor = reader.ReadInt64(); break;
                    case "overturns": overturns = reader.TryReadNil() ? null : reader.ReadInt64(); break;
                    case "outcome": outcome = reader.ReadString(); break;
                    case "marking": marking = Marking.Deserialize(ref reader, options); break;
                    default: reader.Skip(); break;
                }
            return new DecisionNotice(generationId ?? "", itemId, decision ?? "", categories, reason ?? "", automated,
                DateTimeOffset.Parse(decidedAt ?? "", CultureInfo.InvariantCulture), cursor, overturns, outcome, marking);
        }
    }
}
