using System.Globalization;
using ModerationConsole.Ingest;

namespace ModerationConsole.Audit.Exports;

/// <summary>Reads an <see cref="AuditFilter"/> from a query string, naming each field that is wrong.</summary>
public static class AuditFilterQuery
{
    public static (AuditFilter Filter, IReadOnlyList<FieldError> Errors) Parse(IQueryCollection query)
    {
        var errors = new List<FieldError>();
        DateTimeOffset? Time(string field)
        {
            var text = query[field].ToString();
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
                return time;
            errors.Add(new FieldError(field, "must be an ISO-8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z"));
            return null;
        }
        string? Text(string field, int maxLength = 256)
        {
            var text = query[field].ToString();
            if (text.Length > maxLength) errors.Add(new FieldError(field, $"must be at most {maxLength} characters"));
            return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        }

        var from = Time("from");
        var to = Time("to");
        if (from is not null && to is not null && to <= from) errors.Add(new FieldError("to", "must be after from"));
        var decision = Text("decision");
        if (decision is not null and not ("approved" or "blocked")) errors.Add(new FieldError("decision", "must be approved or blocked"));
        bool? automated = null;
        if (Text("automated") is { } automatedText)
        {
            if (bool.TryParse(automatedText, out var value)) automated = value;
            else errors.Add(new FieldError("automated", "must be true or false"));
        }
        var filter = new AuditFilter
        {
            From = from,
            To = to,
            Moderator = Text("moderator"),
            Category = Text("category"),
            Decision = decision,
            Automated = automated,
            Producer = Text("producer"),
            PlatformUser = Text("user"),
            Jurisdiction = Text("jurisdiction", 2),
            Action = Text("action"),
        };
        return (filter, errors);
    }

    /// <summary>The filter as query parameters, for export links from the search page.</summary>
    public static string ToQueryString(AuditFilter filter)
    {
        var pairs = new List<KeyValuePair<string, string?>>
        {
            new("from", filter.From?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            new("to", filter.To?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            new("moderator", filter.Moderator),
            new("category", filter.Category),
            new("decision", filter.Decision),
            new("automated", filter.Automated?.ToString().ToLowerInvariant()),
            new("producer", filter.Producer),
            new("user", filter.PlatformUser),
            new("jurisdiction", filter.Jurisdiction),
            new("action", filter.Action),
        };
        return Microsoft.AspNetCore.Http.QueryString.Create(pairs.Where(p => !string.IsNullOrWhiteSpace(p.Value))).ToString();
    }
}
