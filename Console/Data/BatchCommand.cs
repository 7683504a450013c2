using Npgsql;

namespace ModerationConsole.Data;

/// <summary>One statement of an <see cref="NpgsqlBatch"/> (the hot paths send several in one round trip), from named values.</summary>
public static class BatchCommand
{
    /// <summary>The statement with its parameters; a null value is sent as SQL NULL.</summary>
    public static NpgsqlBatchCommand Of(string sql, params IEnumerable<(string Name, object? Value)> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
