// Hand-written: nsfwjs ships its TF.js models as minified JS modules (object literals, not JSON); no .NET library reads them without a JS engine.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ModerationConsole.Scoring.Import;

/// <summary>
/// Reads the data a minified JS module exports (<c>a.exports={modelTopology:{…}}</c>, <c>h.exports="base64…"</c>) as
/// JSON: object literals with bare or quoted keys, arrays, double- or single-quoted strings, numbers such as
/// <c>.5</c> and <c>-1e-3</c>, <c>!0</c>/<c>!1</c> (true/false as minifiers write them), <c>true</c>, <c>false</c>,
/// <c>null</c>. Anything else (code, a function) is an error naming its position: the reader evaluates nothing.
/// </summary>
public static class JsLiteralReader
{
    private const int MaxDepth = 256;

    /// <summary>The value the module's body assigns to <c>exports</c> (browserify's <c>{1:[function(e,a,n){a.exports=…</c>).</summary>
    public static JsonNode? ReadModuleExports(string module, string what)
    {
        var match = System.Text.RegularExpressions.Regex.Match(module, @"\{1:\[function\([^)]*\)\{\s*\w+\.exports\s*=");
        if (!match.Success) throw new InvalidDataException($"{what}: not a module that exports a value (no 'exports=' in a browserify bundle)");
        var reader = new Reader(module, match.Index + match.Length, what);
        return reader.ReadValue(0);
    }

    /// <summary>One literal, the whole of <paramref name="text"/>.</summary>
    public static JsonNode? Read(string text, string what)
    {
        var reader = new Reader(text, 0, what);
        var value = reader.ReadValue(0);
        reader.SkipSpace();
        if (!reader.AtEnd) throw reader.Error("text after the value");
        return value;
    }

    private sealed class Reader(string text, int position, string what)
    {
        private int at = position;

        public bool AtEnd => at >= text.Length;

        public InvalidDataException Error(string problem) => new($"{what}: {problem} at character {at}");

        public void SkipSpace()
        {
            while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        }

        public JsonNode? ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error($"nested deeper than {MaxDepth}");
            SkipSpace();
            if (AtEnd) throw Error("unexpected end");
            var c = text[at];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"' or '\'': return JsonValue.Create(ReadString());
                case '!':
                    at++;
                    if (at < text.Length && text[at] is '0' or '1') return JsonValue.Create(text[at++] == '0');
                    throw Error("'!' followed by something other than 0 or 1");
            }
            if (c is '-' or '+' or '.' || char.IsAsciiDigit(c)) return ReadNumber();
            var word = ReadIdentifier();
            return word switch
            {
                "true" => JsonValue.Create(true),
                "false" => JsonValue.Create(false),
                "null" => null,
                "" => throw Error($"unexpected '{c}'"),
                _ => throw Error($"'{word}' is code, not data"),
            };
        }

        private JsonObject ReadObject(int depth)
        {
            at++; // {
            var result = new JsonObject();
            SkipSpace();
            if (Peek('}')) { at++; return result; }
            while (true)
            {
                SkipSpace();
                var key = text[at] is '"' or '\'' ? ReadString() : ReadKey();
                SkipSpace();
                Expect(':');
                var value = ReadValue(depth + 1);
                if (!result.TryAdd(key, value)) throw Error($"key '{key}' twice");
                SkipSpace();
                if (Peek(',')) { at++; continue; }
                Expect('}');
                return result;
            }
        }

        private JsonArray ReadArray(int depth)
        {
            at++; // [
            var result = new JsonArray();
            SkipSpace();
            if (Peek(']')) { at++; return result; }
            while (true)
            {
                result.Add(ReadValue(depth + 1));
                SkipSpace();
                if (Peek(',')) { at++; continue; }
                Expect(']');
                return result;
            }
        }

        private string ReadKey()
        {
            if (at < text.Length && char.IsAsciiDigit(text[at])) return ReadNumber().ToJsonString();
            var key = ReadIdentifier();
            return key.Length > 0 ? key : throw Error("an object key");
        }

        private string ReadIdentifier()
        {
            var start = at;
            while (at < text.Length && (char.IsAsciiLetterOrDigit(text[at]) || text[at] is '_' or '$')) at++;
            return text[start..at];
        }

        private JsonValue ReadNumber()
        {
            var start = at;
            if (text[at] is '-' or '+') at++;
            while (at < text.Length && (char.IsAsciiDigit(text[at]) || text[at] is '.' or 'e' or 'E'
                   || (text[at] is '-' or '+' && text[at - 1] is 'e' or 'E'))) at++;
            var token = text[start..at];
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                throw Error($"'{token}' is not a number");
            return JsonValue.Create(value);
        }

        private string ReadString()
        {
            var quote = text[at++];
            var builder = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw Error("unterminated string");
                var c = text[at++];
                if (c == quote) return builder.ToString();
                if (c != '\\') { builder.Append(c); continue; }
                if (AtEnd) throw Error("unterminated string");
                var escaped = text[at++];
                switch (escaped)
                {
                    case 'n': builder.Append('\n'); break;
                    case 't': builder.Append('\t'); break;
                    case 'r': builder.Append('\r'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case '0': builder.Append('\0'); break;
                    case 'u':
                        if (at + 4 > text.Length || !ushort.TryParse(text.AsSpan(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                            throw Error("a \\u escape needs four hex digits");
                        builder.Append((char)code);
                        at += 4;
                        break;
                    case 'x':
                        if (at + 2 > text.Length || !byte.TryParse(text.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                            throw Error("a \\x escape needs two hex digits");
                        builder.Append((char)b);
                        at += 2;
                        break;
                    default: builder.Append(escaped); break; // \" \' \\ \/ and the rest stand for themselves
                }
            }
        }

        private bool Peek(char c) => at < text.Length && text[at] == c;

        private void Expect(char c)
        {
            SkipSpace();
            if (!Peek(c)) throw Error(AtEnd ? $"'{c}' expected, found the end" : $"'{c}' expected, found '{text[at]}'");
            at++;
        }
    }
}
