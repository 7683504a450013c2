using Dapper;
using Npgsql;

namespace ModerationConsole.Enforcement;

/// <summary>
/// What a notice about one user is written with, read in one round trip inside the writer's transaction: the
/// transaction's time (what now() says in every statement of it), the user's language and the admins' templates.
/// </summary>
public sealed record NoticeContext(DateTimeOffset Now, string Language, IReadOnlyList<CustomTemplate> Templates)
{
    public static async Task<NoticeContext> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long producerId, string userId,
        string? language = null)
    {
        using var reader = await connection.QueryMultipleAsync(
            """
            select now();
            select language from review_items where producer_id = @producerId and user_id = @userId and language is not null
            order by id desc limit 1;
            select kind, category, language, title, body from notice_templates;
            """, new { producerId, userId }, transaction);
        var now = await reader.ReadSingleAsync<DateTime>();
        var given = await reader.ReadSingleOrDefaultAsync<string?>();
        var templates = (await reader.ReadAsync<CustomTemplate>()).AsList();
        return new NoticeContext(new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc)), NoticeTemplates.LanguageOf(language ?? given), templates);
    }

    public (string Title, string Body) Wording(string kind, IReadOnlyList<string> categories) =>
        NoticeTemplates.Wording(Templates, kind, categories, Language);
}
