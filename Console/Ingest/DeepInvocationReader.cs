// Hand-written: SignalR's JSON parser fixes its reader at 64 levels and closes the connection beyond, with no setting to change it.
using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace ModerationConsole.Ingest;

/// <summary>
/// Reads an invocation that SignalR's JSON parser refused. Its reader stops at 64 levels of nesting and the refusal
/// closes the connection, so one deep value in one item would drop every item the producer had in flight. Read here
/// without that limit, the item's own reader (<see cref="GenerationJson"/>) names the deep field or steps over an
/// unknown one, as over HTTP and MessagePack; an argument that cannot be bound is the invocation's error, and the
/// connection stays.
/// </summary>
internal static class DeepInvocationReader
{
    private const int InvocationType = 1;

    /// <summary>The invocation in <paramref name="message"/> (without its record separator), or null when it is not one.</summary>
    public static HubMessage? TryRead(ReadOnlySequence<byte> message, IInvocationBinder binder, JsonSerializerOptions payload)
    {
        var reader = new Utf8JsonReader(message, new JsonReaderOptions { MaxDepth = SubmissionJsonConverters.AnyDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            int? type = null;
            string? invocationId = null, target = null;
            string[]? streamIds = null;
            Dictionary<string, string>? headers = null;
            var arguments = default(Utf8JsonReader);
            var hasArguments = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type": type = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : null; break;
                    case "invocationId": invocationId = reader.GetString(); break;
                    case "target": target = reader.GetString(); break;
                    case "streamIds": streamIds = JsonSerializer.Deserialize<string[]>(ref reader); break;
                    case "headers": headers = JsonSerializer.Deserialize<Dictionary<string, string>>(ref reader); break;
                    case "arguments":
                        if (reader.TokenType != JsonTokenType.StartArray) return null;
                        // Bound once the target is known, which may come later in the message.
                        arguments = reader;
                        hasArguments = true;
                        reader.Skip();
                        break;
                    default: reader.Skip(); break;
                }
            }
            if (type != InvocationType || target is null || !hasArguments) return null;

            HubMethodInvocationMessage invocation;
            try
            {
                invocation = new InvocationMessage(invocationId, target, Bind(ref arguments, binder.GetParameterTypes(target), payload), streamIds);
            }
            catch (Exception ex)
            {
                return new InvocationBindingFailureMessage(invocationId, target, ExceptionDispatchInfo.Capture(ex));
            }
            if (headers is not null) invocation.Headers = headers;
            return invocation;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or not an invocation's shape: SignalR's refusal stands
        }
    }

    private static object?[] Bind(ref Utf8JsonReader reader, IReadOnlyList<Type> types, JsonSerializerOptions payload)
    {
        var values = new object?[types.Count];
        for (var i = 0; i < types.Count; i++)
        {
            if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
                throw new InvalidDataException($"Invocation provides {i} argument(s) but target expects {types.Count}.");
            values[i] = JsonSerializer.Deserialize(ref reader, types[i], payload);
        }
        if (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            throw new InvalidDataException($"Invocation provides more than {types.Count} argument(s).");
        return values;
    }
}
