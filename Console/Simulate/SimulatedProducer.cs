using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ModerationConsole.Appeals;
using ModerationConsole.Enforcement;
using ModerationConsole.Ingest;
using ModerationConsole.Producers;

namespace ModerationConsole.Simulate;

/// <summary>
/// A producer as a generation platform would write one against the public contract: SignalR with the API key header,
/// batches at a steady rate, an unacknowledged batch re-sent with the same generation ids after a reconnect (safe,
/// because ingest is idempotent), and decisions read from the push and, after a gap, from the HTTP cursor. Some users
/// appeal: one blocked generation in <see cref="SimulationOptions.AppealEvery"/>, and every other suspension.
/// </summary>
public sealed class SimulatedProducer
{
    static readonly TimeSpan StartGivesUpAfter = TimeSpan.FromSeconds(60);
    static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(15);
    static readonly TimeSpan AutomaticDecisionsWait = TimeSpan.FromSeconds(10);
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<SimulationSummary> RunAsync(SimulationOptions options, Action<string> log, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ItemsPerSecond, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var baseUri = new Uri(options.Url.EndsWith('/') ? options.Url : options.Url + "/", UriKind.Absolute);
        using var http = new HttpClient { BaseAddress = baseUri };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, options.ApiKey);

        var tally = new Tally(options.AppealEvery);
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUri, IngestHub.Path.TrimStart('/')), o => o.Headers[ApiKeys.HeaderName] = options.ApiKey)
            .WithAutomaticReconnect(new RetryForever());
        if (options.MessagePack)
            builder.AddMessagePackProtocol(o => o.SerializerOptions = IngestMessagePack.SerializerOptions(new IngestOptions()));
        else
            // As producers in most languages write JSON: .NET's default encoder writes each '+' of the images' base64
            // as \u002B, about 8% more bytes, which the console must unescape before it can decode the image.
            builder.AddJsonProtocol(o => o.PayloadSerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        await using var connection = builder.Build();
        connection.On<DecisionNotice>("Decision", tally.Received);
        connection.On<UserNotice>("UserNotice", tally.Received);
        connection.Reconnecting += error =>
        {
            log($"connection lost ({error?.Message ?? "closed"}); reconnecting");
            return Task.CompletedTask;
        };
        // Pushes sent while we were away are gone; the cursor is the guarantee.
        connection.Reconnected += _ => CatchUpAsync(http, tally, log, ct);

        await StartAsync(connection, log, ct);
        log($"connected to {baseUri}; sending {(options.Count == 0 ? "until stopped" : options.Count.ToString(CultureInfo.InvariantCulture) + " generations")} " +
            $"at {options.ItemsPerSecond.ToString(CultureInfo.InvariantCulture)}/s in batches of {options.BatchSize}");

        var generator = new DemoGenerations(options.Seed, $"sim-{Guid.NewGuid():N}"[..16]);
        var clock = Stopwatch.StartNew();
        var nextProgress = ProgressEvery;
        // The next batch is made while the current one is in flight: a realistic picture costs about as much to make
        // as the console spends on it, and making them in turn with the round trips kept the rate far below --rate.
        Task<List<FlaggedGeneration>>? next = Task.Run(() => MakeBatch(generator, options, planned: 0), ct);
        long planned = 0;
        while (!ct.IsCancellationRequested && next is not null)
        {
            var made = await next;
            var madeSoFar = planned += made.Count;
            next = options.Count == 0 || madeSoFar < options.Count ? Task.Run(() => MakeBatch(generator, options, madeSoFar), ct) : null;
            var allowed = await CheckFirst.AllowedAsync(connection, made, ct);
            tally.Refused(made.Count - allowed.Count);
            tally.Made(allowed);
            if (allowed.Count > 0) tally.Add(await SubmitUntilAcknowledgedAsync(connection, Payload(allowed, options), log, ct), log);
            await AppealAsync(connection, tally, log, ct);

            // Item n is due n / rate seconds after the start: the rate holds however long each call took.
            var wait = TimeSpan.FromSeconds(tally.Attempted / options.ItemsPerSecond) - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            if (clock.Elapsed >= nextProgress)
            {
                log(tally.Summary(clock.Elapsed).ToString());
                nextProgress = clock.Elapsed + ProgressEvery;
            }
        }

        await tally.WaitForAutomaticDecisionsAsync(AutomaticDecisionsWait, ct);
        await AppealAsync(connection, tally, log, ct);
        return tally.Summary(clock.Elapsed);
    }

    /// <summary>
    /// The batch after the first <paramref name="planned"/> generations, made one at a time, as the generator is not thread-safe.
    /// </summary>
    static List<FlaggedGeneration> MakeBatch(DemoGenerations generator, SimulationOptions options, long planned)
    {
        var size = (int)(options.Count == 0 ? options.BatchSize : Math.Min(options.BatchSize, options.Count - planned));
        return Enumerable.Range(0, size).Select(_ => generator.Next()).ToList();
    }

    /// <summary>What is sent: the generations themselves over JSON, maps with each image's bytes over MessagePack.</summary>
    static object[] Payload(IReadOnlyList<FlaggedGeneration> generations, SimulationOptions options) =>
        options.MessagePack
            ? generations.Select(g => IngestMessagePack.Map(g, Convert.FromBase64String(g.Image!))).ToArray<object>()
            : generations.ToArray<object>();

    static async Task StartAsync(HubConnection connection, Action<string> log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await connection.StartAsync(ct);
                return;
            }
            catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new InvalidOperationException("The console refused the API key (401): check the key, or create one with `producer add NAME`.", ex);
            }
            catch (HttpRequestException ex) when (clock.Elapsed < StartGivesUpAfter)
            {
                log($"cannot reach the console yet ({ex.Message}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
    }

    /// <summary>
    /// Sends the batch until the console answers. A lost connection may have lost the answer, not the write: the same
    /// generation ids are sent again and come back as duplicates if the first attempt committed.
    /// </summary>
    static async Task<IngestReceipt[]> SubmitUntilAcknowledgedAsync(
        HubConnection connection, object[] batch, Action<string> log, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await connection.InvokeAsync<IngestReceipt[]>("SubmitBatch", batch, ct);
            }
            catch (HubException ex) when (ex.Message.Contains(IngestHub.UnavailablePrefix, StringComparison.Ordinal) && !ct.IsCancellationRequested)
            {
                log($"batch not acknowledged ({ex.Message}); sending it again shortly");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (HubException)
            {
                throw; // the console refused the batch as a whole: sending it again would not help
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && LostConnection(ex))
            {
                log($"batch not acknowledged ({ex.Message}); sending it again once reconnected");
                await WaitUntilConnectedAsync(connection, ct);
            }
        }
    }

    /// <summary>How a call fails when the connection dropped under it: the answer may be lost, not the work.</summary>
    internal static bool LostConnection(Exception ex) => ex is IOException or InvalidOperationException or TaskCanceledException
        or System.Net.WebSockets.WebSocketException or HttpRequestException;

    internal static async Task WaitUntilConnectedAsync(HubConnection connection, CancellationToken ct)
    {
        while (connection.State != HubConnectionState.Connected)
        {
            if (connection.State == HubConnectionState.Disconnected)
            {
                try { await connection.StartAsync(ct); }
                catch (HttpRequestException) { }
                catch (InvalidOperationException) { } // started meanwhile by automatic reconnection
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    static async Task CatchUpAsync(HttpClient http, Tally tally, Action<string> log, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var page = await http.GetFromJsonAsync<DecisionPage>(
                    $"api/v1/decisions?after={tally.Cursor.ToString(CultureInfo.InvariantCulture)}&limit=500", Json, ct);
                if (page is null || page.Decisions.Count == 0) return;
                foreach (var notice in page.Decisions) tally.Received(notice);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException)
        {
            log($"could not catch up on decisions ({ex.Message}); the next reconnect tries again");
        }
    }

    /// <summary>
    /// Sends the appeals users asked for since the last batch. A refused one is logged and not sent again; one the console
    /// could not take (it is unreachable or restarting) waits for the next round, and is idempotent by its appeal id.
    /// </summary>
    static async Task AppealAsync(HubConnection connection, Tally tally, Action<string> log, CancellationToken ct)
    {
        var appeals = tally.TakeAppeals();
        for (var i = 0; i < appeals.Count; i++)
        {
            try
            {
                await connection.InvokeAsync<AppealReceipt>("SubmitAppeal", appeals[i], ct);
                tally.Appealed();
            }
            catch (HubException ex) when (!ex.Message.Contains(IngestHub.UnavailablePrefix, StringComparison.Ordinal))
            {
                log($"appeal {appeals[i].AppealId} refused: {ex.Message}");
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is HubException or IOException or InvalidOperationException
                                           or TaskCanceledException or System.Net.WebSockets.WebSocketException or HttpRequestException)
            {
                log($"appeals not acknowledged ({ex.Message}); sending them again with the next batch");
                tally.Retry(appeals.Skip(i));
                return;
            }
        }
    }

    static readonly string[] Statements =
    [
        "This is a photo of a classical statue in a museum, not sexual content.",
        "I asked for a superhero costume; the model drew this on its own.",
        "Das Bild zeigt meine eigene Zeichnung, keine reale Person.",
        "C'est une illustration médicale pour un cours d'anatomie.",
        "Es una escena de una película de terror, no violencia real.",
    ];

    /// <summary>Counts shared between the send loop and the push handler, and the appeals users decide to make.</summary>
    sealed class Tally(int appealEvery)
    {
        readonly Lock _gate = new();
        // Which user made each generation still awaiting its decision, to appeal for the right user; bounded.
        readonly Dictionary<string, string> _users = new(StringComparer.Ordinal);
        readonly List<AppealRequest> _appeals = [];
        long _notices, _appealsSent, _blocksSeen, _suspensionsSeen;
        const int MaxRemembered = 100_000;
        readonly Dictionary<string, long> _routes = new(StringComparer.Ordinal);
        long _accepted, _duplicates, _rejected, _decisions, _automaticAccepted;
        bool _rejectionLogged;

        public long Submitted { get; private set; }

        /// <summary>Generations checked before they were made and refused: never sent.</summary>
        public long RefusedBeforeGeneration { get; private set; }

        /// <summary>Every generation the platform tried, sent or refused: what the rate applies to.</summary>
        public long Attempted => Submitted + RefusedBeforeGeneration;

        public void Refused(int count)
        {
            lock (_gate) RefusedBeforeGeneration += count;
        }

        /// <summary>The highest decision cursor seen: decisions arrive in cursor order, so anything at or below it is a repeat.</summary>
        public long Cursor { get; private set; }

        public void Add(IReadOnlyList<IngestReceipt> receipts, Action<string> log)
        {
            lock (_gate)
            {
                Submitted += receipts.Count;
                foreach (var receipt in receipts)
                {
                    switch (receipt.Status)
                    {
                        case ReceiptStatus.Accepted: _accepted++; break;
                        case ReceiptStatus.Duplicate: _duplicates++; break;
                        default: _rejected++; break;
                    }
                    if (receipt.Route is { } route && receipt.Status == ReceiptStatus.Accepted)
                    {
                        _routes[route] = _routes.GetValueOrDefault(route) + 1;
                        if (SimulationSummary.IsAutomatic(route)) _automaticAccepted++;
                    }
                    if (receipt.Status == ReceiptStatus.Rejected && !_rejectionLogged)
                    {
                        _rejectionLogged = true;
                        log($"rejected {receipt.GenerationId}: {string.Join("; ", (receipt.Errors ?? []).Select(e => $"{e.Field}: {e.Message}"))}");
                    }
                }
            }
        }

        public void Made(IEnumerable<FlaggedGeneration> generations)
        {
            lock (_gate)
                foreach (var g in generations)
                    if (_users.Count < MaxRemembered) _users[g.GenerationId!] = g.UserId!;
        }

        public void Received(DecisionNotice notice)
        {
            lock (_gate)
            {
                if (notice.Cursor <= Cursor) return;
                Cursor = notice.Cursor;
                _decisions++;
                if (!_users.Remove(notice.GenerationId, out var user) || notice.Decision != "blocked" || notice.Overturns is not null) return;
                if (appealEvery > 0 && ++_blocksSeen % appealEvery == 0)
                    _appeals.Add(new AppealRequest
                    {
                        AppealId = $"appeal-{notice.Cursor}", UserId = user, DecisionCursor = notice.Cursor,
                        Statement = Statements[_blocksSeen % Statements.Length],
                    });
            }
        }

        public void Received(UserNotice notice)
        {
            lock (_gate)
            {
                _notices++;
                if (appealEvery > 0 && notice.Kind == "enforcement_applied" && notice.Enforcement is { Action: "suspend" } suspension
                    && ++_suspensionsSeen % 2 == 1)
                    _appeals.Add(new AppealRequest
                    {
                        AppealId = $"appeal-account-{suspension.EnforcementId}", UserId = notice.UserId, EnforcementId = suspension.EnforcementId,
                        Statement = "My account was suspended for pictures I did not mean to make; please look again.",
                    });
            }
        }

        public IReadOnlyList<AppealRequest> TakeAppeals()
        {
            lock (_gate)
            {
                var taken = _appeals.ToList();
                _appeals.Clear();
                return taken;
            }
        }

        public void Retry(IEnumerable<AppealRequest> appeals)
        {
            lock (_gate) _appeals.AddRange(appeals);
        }

        public void Appealed()
        {
            lock (_gate) _appealsSent++;
        }

        /// <summary>Automatic decisions are pushed right after the write; a short wait lets a finite run report them.</summary>
        public async Task WaitForAutomaticDecisionsAsync(TimeSpan limit, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < limit && !ct.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (_decisions >= _automaticAccepted) return;
                }
                await Task.Delay(100, CancellationToken.None);
            }
        }

        public SimulationSummary Summary(TimeSpan elapsed)
        {
            lock (_gate)
                return new SimulationSummary(Submitted, _accepted, _duplicates, _rejected,
                    new Dictionary<string, long>(_routes, StringComparer.Ordinal), _decisions, elapsed, _notices, _appealsSent,
                    RefusedBeforeGeneration);
        }
    }

    /// <summary>A producer never gives up on its console: back off up to ten seconds between attempts, forever.</summary>
    sealed class RetryForever : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            TimeSpan.FromSeconds(Math.Min(10, Math.Pow(2, Math.Min(retryContext.PreviousRetryCount, 4)) / 2));
    }
}
