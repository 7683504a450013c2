namespace ModerationConsole.Ingest;

/// <summary>
/// The <c>after</c> and <c>limit</c> of a cursor feed (decisions, account notices), read as text so that a bad value is a
/// field error naming it rather than a binding failure.
/// </summary>
public static class CursorQuery
{
    public const int DefaultPageSize = 100;

    /// <summary>The cursor and page size, or the field errors (added to <paramref name="errors"/>) when either is bad.</summary>
    public static (long Cursor, int Size) Read(string? after, string? limit, int maxPageSize, List<FieldError> errors)
    {
        long cursor = 0;
        var size = DefaultPageSize;
        if (after is not null && (!long.TryParse(after, out cursor) || cursor < 0))
            errors.Add(new FieldError("after", "must be a cursor returned by this endpoint (a non-negative integer)"));
        if (limit is not null && (!int.TryParse(limit, out size) || size is < 1 || size > maxPageSize))
            errors.Add(new FieldError("limit", $"must be an integer from 1 to {maxPageSize}"));
        return (cursor, size);
    }
}
