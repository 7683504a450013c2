using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using ModerationConsole.Audit;
using ModerationConsole.Data;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>The notices a user can receive: one per ladder action, one for a lifted action, one per appeal outcome.</summary>
public static class NoticeKinds
{
    public const string Warn = EnforcementActions.Warn;
    public const string Restrict = EnforcementActions.Restrict;
    public const string RequireVerification = EnforcementActions.RequireVerification;
    public const string Suspend = EnforcementActions.Suspend;
    public const string Ban = EnforcementActions.Ban;
    public const string Lifted = "lifted";
    public const string AppealUpheld = "appeal_upheld";
    public const string AppealOverturned = "appeal_overturned";
    public const string AppealModified = "appeal_modified";

    public static readonly IReadOnlyList<string> All = [Warn, Restrict, RequireVerification, Suspend, Ban, Lifted, AppealUpheld, AppealOverturned, AppealModified];
}

/// <summary>An admin's own wording as stored.</summary>
public sealed record CustomTemplate(string Kind, string Category, string Language, string Title, string Body);

/// <summary>A template as an admin sees it: their own wording, or the console's when <see cref="Custom"/> is false.</summary>
public sealed record NoticeTemplate(string Kind, string Category, string Language, string Title, string Body, bool Custom);

/// <summary>
/// Notice wording per kind, category and language. An admin's template for the category wins, then theirs for every
/// category, then the console's own (<see cref="DefaultNoticeTexts"/>); a language without any falls back to English.
/// Placeholders are checked on save, so a notice never reaches a user with a typo in braces.
/// </summary>
public sealed partial class NoticeTemplates(Db db)
{
    public static readonly IReadOnlyList<string> Languages = ["en", "de", "fr", "es"];

    /// <summary>What a template may say in braces; a value that does not apply to the notice is left empty.</summary>
    public static readonly IReadOnlyList<string> Placeholders =
        ["ground", "categories", "features", "quota", "until", "appealUntil", "action", "outcomeNote"];

    public const int MaxTitle = 200;
    public const int MaxBody = 4000;

    /// <summary>The primary language subtag the console has wording for: "de-AT" → "de"; anything else → "en".</summary>
    /// <summary>A digest of the admins' templates, to tell a remembered set from the one in force (<see cref="LadderHints"/>).</summary>
    public const string VersionSql =
        """
        select md5(coalesce(string_agg(concat_ws(chr(31), kind, category, language, title, body), chr(30) order by kind, category, language), ''))
        from notice_templates
        """;

    public static string LanguageOf(string? requested)
    {
        var primary = (requested ?? "").Split('-', '_')[0].Trim().ToLowerInvariant();
        return Languages.Contains(primary) ? primary : "en";
    }

    /// <summary>Problems with a template, each naming its field.</summary>
    public static IReadOnlyList<string> Validate(string kind, string category, string language, string title, string body)
    {
        var problems = new List<string>();
        if (!NoticeKinds.All.Contains(kind)) problems.Add($"kind: must be one of {string.Join(", ", NoticeKinds.All)}");
        if (category.Length > 0 && !category.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_'))
            problems.Add("category: a policy category name, or empty for every category");
        if (!Languages.Contains(language)) problems.Add($"language: must be one of {string.Join(", ", Languages)}");
        if (string.IsNullOrWhiteSpace(title)) problems.Add("title: is required");
        else if (title.Length > MaxTitle) problems.Add($"title: at most {MaxTitle} characters");
        if (string.IsNullOrWhiteSpace(body)) problems.Add("body: is required");
        else if (body.Length > MaxBody) problems.Add($"body: at most {MaxBody} characters");
        foreach (var (field, text) in new[] { ("title", title), ("body", body) })
        {
            var withoutPlaceholders = Placeholder().Replace(text ?? "", "");
            if (withoutPlaceholders.Contains('{') || withoutPlaceholders.Contains('}'))
                problems.Add($"{field}: braces only around a placeholder name, e.g. {{until}}");
            foreach (var unknown in Placeholder().Matches(text ?? "").Select(m => m.Groups[1].Value).Where(p => !Placeholders.Contains(p)).Distinct())
                problems.Add($"{field}: {{{unknown}}} is not a placeholder; use {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}");
        }
        return problems;
    }

    /// <summary>Fills a template; placeholders without a value become empty and the spaces they leave are tidied.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string?> values) =>
        Spaces().Replace(Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v ?? "" : ""), " ").Trim();

    public static string FormatDate(DateTimeOffset at, string language) =>
        at.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo(language));

    /// <summary>The wording in force for one notice, from the admins' templates read with <see cref="NoticeContext"/>.</summary>
    public static (string Title, string Body) Wording(IReadOnlyList<CustomTemplate> custom, string kind, IReadOnlyList<string> categories, string language)
    {
        foreach (var lang in new[] { language, "en" }.Distinct())
        {
            var match = custom.FirstOrDefault(t => t.Kind == kind && t.Language == lang && categories.Contains(t.Category))
                        ?? custom.FirstOrDefault(t => t.Kind == kind && t.Language == lang && t.Category == "");
            if (match is not null) return (match.Title, match.Body);
            if (DefaultNoticeTexts.All.TryGetValue((kind, lang), out var builtIn)) return builtIn;
        }
        throw new InvalidOperationException($"No wording for notice '{kind}'.");
    }

    /// <summary>Every template an admin can edit: theirs where written, the console's otherwise.</summary>
    public Task<IReadOnlyList<NoticeTemplate>> ListAsync(CancellationToken ct = default) => db.ReadAsync<IReadOnlyList<NoticeTemplate>>(async connection =>
    {
        var custom = (await connection.QueryAsync<(string Kind, string Category, string Language, string Title, string Body)>(
            "select kind, category, language, title, body from notice_templates order by kind, category, language")).ToList();
        var list = new List<NoticeTemplate>();
        foreach (var kind in NoticeKinds.All)
        foreach (var language in Languages)
        {
            var own = custom.FirstOrDefault(t => t.Kind == kind && t.Category == "" && t.Language == language);
            var builtIn = DefaultNoticeTexts.All[(kind, language)];
            list.Add(own.Title is not null
                ? new NoticeTemplate(kind, "", language, own.Title, own.Body, true)
                : new NoticeTemplate(kind, "", language, builtIn.Title, builtIn.Body, false));
        }
        list.AddRange(custom.Where(t => t.Category != "").Select(t => new NoticeTemplate(t.Kind, t.Category, t.Language, t.Title, t.Body, true)));
        return list;
    }, ct);

    /// <summary>Saves an admin's wording (audited); refuses it whole, naming each field, when anything is wrong.</summary>
    public Task SaveAsync(System.Security.Claims.ClaimsPrincipal user, string kind, string category, string language, string title, string body,
        CancellationToken ct = default)
    {
        var userId = Accounts.CurrentUser.UserIdUnder(user, Accounts.Policies.Admin, "Only admins word the notices users receive.");
        category = category.Trim();
        var problems = Validate(kind, category, language, title, body);
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(
                """
                insert into notice_templates (kind, category, language, title, body, updated_by) values (@kind, @category, @language, @title, @body, @userId)
                on conflict (kind, category, language) do update set title = excluded.title, body = excluded.body,
                    updated_by = excluded.updated_by, updated_at = now()
                """, new { kind, category, language, title = title.Trim(), body = body.Trim(), userId }, transaction);
            await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.NoticeTemplateSaved,
                details: new { kind, category, language, title = title.Trim(), body = body.Trim() });
            return 0;
        }, ct);
    }

    /// <summary>Goes back to the console's wording for this kind, category and language (audited).</summary>
    public Task ResetAsync(System.Security.Claims.ClaimsPrincipal user, string kind, string category, string language, CancellationToken ct = default)
    {
        var userId = Accounts.CurrentUser.UserIdUnder(user, Accounts.Policies.Admin, "Only admins word the notices users receive.");
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            var removed = await connection.ExecuteAsync("delete from notice_templates where kind = @kind and category = @category and language = @language",
                new { kind, category, language }, transaction);
            if (removed > 0)
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), AuditActions.NoticeTemplateReset,
                    details: new { kind, category, language });
            return 0;
        }, ct);
    }

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Spaces();
}
