using Npgsql;

namespace ModerationConsole.Data;

/// <summary>
/// The one way the console writes: a function run inside a transaction on a pooled connection, retried as a whole
/// when PostgreSQL says the failure is transient (a deadlock, a serialization failure, a restart of the server).
/// The function must therefore be free of side effects outside the transaction; notifications to producers and
/// screens go out only after commit (PostgreSQL NOTIFY is itself transactional).
/// </summary>
public sealed class Db(NpgsqlDataSource dataSource, ILogger<Db> logger) : IAsyncDisposable
{
    private const int MaxAttempts = 5;
    private readonly PostCommitNotifications notifications = new(dataSource, logger);

    public NpgsqlDataSource DataSource => dataSource;

    /// <remarks>Notifications the work defers (<see cref="PostCommitNotifications.TryDefer"/>) are sent once it committed.</remarks>
    public Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct = default) =>
        WithRetriesAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(ct);
            return result;
        }, ct);

    /// <summary>
    /// For the hottest writes (claiming, deciding): <paramref name="work"/> sends exactly one statement or one
    /// <see cref="NpgsqlBatch"/>, which PostgreSQL runs as one implicit transaction — all of it or none — and commits
    /// in the same round trip, where an explicit transaction costs a further one for COMMIT. Same retries and deferred
    /// notifications as <see cref="InTransactionAsync{T}"/>.
    /// </summary>
    public Task<T> InOneRoundTripAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct = default) =>
        WithRetriesAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await work(connection);
        }, ct);

    private async Task<T> WithRetriesAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        for (var attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                var deferred = new List<(string, string)>();
                T result;
                var outer = PostCommitNotifications.Begin(deferred);
                try
                {
                    result = await attempt();
                }
                finally
                {
                    PostCommitNotifications.End(outer);
                }
                notifications.Send(deferred);
                return result;
            }
            catch (Exception ex) when (attemptNumber < MaxAttempts && IsTransient(ex) && !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Transient database failure (attempt {Attempt} of {Max}); retrying", attemptNumber, MaxAttempts);
                // A restarted server drops every pooled connection; clear them so the retry opens fresh ones.
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attemptNumber * attemptNumber), ct);
            }
        }
    }

    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await read(connection);
    }

    /// <summary>
    /// Transient: the server was unreachable or went away, or asked us to retry (deadlock 40P01, serialization 40001,
    /// admin shutdown 57P01, cannot connect now 57P03). A failed commit whose outcome is unknown is also retried:
    /// every write of the console is idempotent on its natural key, so a repeat is harmless.
    /// </summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is "40P01" or "40001" or "57P01" or "57P02" or "57P03",
        NpgsqlException npgsql => npgsql.IsTransient,
        System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => ex.InnerException is { } inner && IsTransient(inner),
    };

    public ValueTask DisposeAsync() => notifications.DisposeAsync();
}
