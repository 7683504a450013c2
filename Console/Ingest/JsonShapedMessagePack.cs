using System.Text;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace ModerationConsole.Ingest;

/// <summary>
/// MessagePack for the contract's nested records (account notices, appeals): the very shape the JSON protocol sends
/// (camelCase names, ISO-8601 times), converted by MessagePack-CSharp's own JSON bridge, so that both protocols carry
/// one contract without a hand-written formatter per record. Ingest's hot path keeps its field-by-field formatters.
/// </summary>
public sealed class JsonShapedFormatter<T> : IMessagePackFormatter<T?> where T : class
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null) { writer.WriteNil(); return; }
        using var json = new StringReader(JsonSerializer.Serialize(value, Json));
        MessagePackSerializer.ConvertFromJson(json, ref writer, options);
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil()) return null;
        var json = new StringBuilder();
        using (var writer = new StringWriter(json)) MessagePackSerializer.ConvertToJson(ref reader, writer, options);
        try
        {
            return JsonSerializer.Deserialize<T>(json.ToString(), Json);
        }
        catch (JsonException ex)
        {
            throw new MessagePackSerializationException($"{ex.Path?.TrimStart('$', '.')}: {ex.Message}", ex);
        }
    }
}
