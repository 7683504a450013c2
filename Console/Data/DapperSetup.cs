using System.Collections;
using System.Data;
using Dapper;
using ModerationConsole.Hashing;
using Npgsql;
using NpgsqlTypes;

namespace ModerationConsole.Data;

/// <summary>
/// Npgsql reads timestamptz as a UTC DateTime; the console's types use DateTimeOffset. This handler bridges the two
/// in both directions (and writes UTC, the only offset Npgsql accepts for timestamptz). PDQ hashes travel as
/// PostgreSQL bit strings (without the handler Dapper would expand a BitArray as a list).
/// </summary>
public static class DapperSetup
{
    private static int configured;

    public static void Configure()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1) return;
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        SqlMapper.AddTypeHandler(new PdqHashHandler());
    }

    private sealed class PdqHashHandler : SqlMapper.TypeHandler<PdqHash>
    {
        public override void SetValue(IDbDataParameter parameter, PdqHash value)
        {
            parameter.Value = value.ToBitString();
            if (parameter is NpgsqlParameter npgsql) npgsql.NpgsqlDbType = NpgsqlDbType.Varbit;
        }

        public override PdqHash Parse(object value) => value is BitArray bits
            ? PdqHash.FromBitString(bits)
            : throw new DataException($"Cannot read {value.GetType().Name} as a PDQ hash.");
    }

    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.ToUniversalTime();

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset offset => offset,
            DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            _ => throw new DataException($"Cannot read {value.GetType().Name} as a DateTimeOffset."),
        };
    }
}
