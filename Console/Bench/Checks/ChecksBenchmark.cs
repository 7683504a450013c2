using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Checks;
using ModerationConsole.Producers;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench checks</c>: generation-time checks over HTTP on loopback with warm caches, every layer on (standing, verified
/// access, quotas, 201 terms, the prompt model trained on the shipped set, the record in PostgreSQL), for 2,000 users,
/// against an endpoint of the same app behind the same API key that reads the same request and answers a constant
/// verdict (the floor of the web stack). Flat out (32 requests in flight) for throughput, then paced at a fixed rate
/// (default 1,000/s, open loop: a late answer does not delay the next request) for latency, the two endpoints in
/// alternating phases.
/// </summary>
public sealed class ChecksBenchmark : IBenchmark
{
    private const int Users = 2_000;
    private const int InFlight = 32;
    private const string ConstantPath = "/bench/constant-check";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => "checks";
    public string Summary => "checks/s flat out and p99 at 1,000 checks/s over HTTP, against a constant-verdict endpoint of the same app; goals ≥ 0.5 and ≤ 2×";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var seconds = run.Arguments.TakeIntOption("--seconds", 3, 600) ?? 10;
        var rate = run.Arguments.TakeIntOption("--rate", 10, 100_000) ?? 1_000;
        var (services, address) = await run.StartConsoleAsync(MapConstantEndpoint);
        var report = run.Report;

        var key = (await services.GetRequiredService<ProducerStore>().CreateAsync("bench-checks", Actor.Console)).ApiKey;
        await SeedRulesAsync(run, services, ct);
        report.Figure("rules", 201, "terms, the prompt model trained on the shipped prompts, the default policy's quotas and verified features");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = address };
        http.DefaultRequestHeaders.Add(ApiKeys.HeaderName, key);
        var requests = new Requests();

        // Warm: every user's standing read once, JIT settled on both paths.
        await BenchWarmUp.UntilCompiledAsync(async _ =>
        {
            await FlatOutAsync(http, "/api/v1/checks", requests, TimeSpan.FromSeconds(2), ct);
            await FlatOutAsync(http, ConstantPath, requests, TimeSpan.FromSeconds(1), ct);
            return true;
        }, 5);

        double checks = 0, constant = 0;
        for (var round = 0; round < 2; round++)
        {
            checks += (await FlatOutAsync(http, "/api/v1/checks", requests, TimeSpan.FromSeconds(seconds), ct)).Length;
            constant += (await FlatOutAsync(http, ConstantPath, requests, TimeSpan.FromSeconds(seconds), ct)).Length;
        }
        var paced = await PacedAsync(http, "/api/v1/checks", requests, rate, TimeSpan.FromSeconds(seconds), ct);
        var pacedConstant = await PacedAsync(http, ConstantPath, requests, rate, TimeSpan.FromSeconds(seconds), ct);

        await using (var connection = await run.OpenConnectionAsync(ct))
        {
            var verdicts = await connection.QueryAsync<(string, long)>("select verdict, count(*) from generation_checks group by 1 order by 2 desc");
            report.Figure("checks recorded", verdicts.Sum(v => v.Item2), string.Join(", ", verdicts.Select(v => $"{v.Item1} {v.Item2}")));
        }
        var timed = 2.0 * seconds;
        report.Figure("constant endpoint, flat out", constant / timed, $"requests/s, {InFlight} in flight");
        report.Figure("checks, flat out", checks / timed, $"checks/s, {InFlight} in flight");
        report.Figure($"constant endpoint at {rate}/s: p50", Latencies.Percentile(pacedConstant, 0.50), "ms");
        report.Figure($"constant endpoint at {rate}/s: p99", Latencies.Percentile(pacedConstant, 0.99), "ms");
        report.Figure($"checks at {rate}/s: p50", Latencies.Percentile(paced, 0.50), "ms");
        report.Figure($"checks at {rate}/s: p99", Latencies.Percentile(paced, 0.99), "ms");
        report.Ratio("checks/s flat out / the constant endpoint's", checks / timed, constant / timed, goal: 0.5);
        report.Ratio($"p99 at {rate}/s, checks / the constant endpoint", Latencies.Percentile(paced, 0.99), Latencies.Percentile(pacedConstant, 0.99),
            goal: 2, higherIsBetter: false);
    }

    /// <summary>The baseline: the same authentication and request reading, and a constant verdict.</summary>
    private static void MapConstantEndpoint(WebApplication app) =>
        app.MapPost(ConstantPath, async (HttpContext http) =>
            {
                var request = await JsonSerializer.DeserializeAsync<CheckRequest>(http.Request.Body, Json, http.RequestAborted);
                return TypedResults.Ok(new CheckVerdict(request?.CheckId ?? "", Verdicts.Allow, [], null, null));
            })
            .RequireProducerKey();

    private static async Task SeedRulesAsync(BenchRun run, IServiceProvider services, CancellationToken ct)
    {
        await using (var connection = await run.OpenConnectionAsync(ct))
            await connection.ExecuteAsync(
                """
                insert into check_terms (term, category, matching, action)
                select 'listedterm' || g, 'sexual', (array['exact', 'word', 'normalised'])[1 + g % 3], 'deny' from generate_series(1, 200) g;
                insert into check_terms (term, category, matching, action) values ('nudify', 'sexual', 'normalised', 'deny');
                """);
        var examples = ShippedPrompts.Load();
        var policy = await services.GetRequiredService<Policy.PolicyStore>().LoadActiveAsync(ct);
        var categories = PromptTrainer.LearnableCategories(policy.Document.Categories.Select(c => c.Name), examples).ToArray();
        var model = PromptTrainer.Train(examples, categories, new TrainingSettings());
        var store = services.GetRequiredService<ClassifierStore>();
        await store.RegisterAsync(model.Manifest("bench-prompts", "1", "bench"), model.ToOnnx(), storeBytes: true, metrics: null, Actor.Console, createdBy: null, ct);
        await store.ActivateAsync("bench-prompts", "1", Actor.Console, ct);
        await services.GetRequiredService<CheckRules>().RefreshNowAsync(ct);
    }

    /// <summary>Check requests from the shipped prompts, users, tiers and features; a new check id each.</summary>
    private sealed class Requests
    {
        private static readonly string[] Prompts = ShippedPrompts.Load().Select(e => e.Prompt).ToArray();
        private static readonly string?[] Tiers = ["free", "free", "new", "pro", "verified", null];
        private static readonly string[][] Features = [[], [], [], ["photoreal_people"], ["image_edit"], ["adult"]];
        private long next;

        public CheckRequest Next()
        {
            var n = Interlocked.Increment(ref next);
            var user = (int)(n * 7919 % Users);
            return new CheckRequest($"bench-{n}", $"user-{user}", Tiers[user % Tiers.Length], user % 3 == 0, "DE",
                Prompts[n % Prompts.Length], null, "sdxl", Features[n % Features.Length]);
        }
    }

    /// <summary>Requests kept <see cref="InFlight"/> at a time until the time is up; their latencies in ms, ascending.</summary>
    private static async Task<double[]> FlatOutAsync(HttpClient http, string path, Requests requests, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            while (clock.Elapsed < duration)
            {
                var started = clock.Elapsed;
                await SendAsync(http, path, requests.Next(), ct);
                mine.Add((clock.Elapsed - started).TotalMilliseconds);
            }
            return mine;
        }, ct)));
        return latencies.SelectMany(l => l).Order().ToArray();
    }

    /// <summary>Request i is sent i / rate seconds after the start; its latency counts from then, not from when it went out.</summary>
    private static async Task<double[]> PacedAsync(HttpClient http, string path, Requests requests, int rate, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var total = (int)(rate * duration.TotalSeconds);
        var sent = new List<Task<double>>(total);
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
            var request = requests.Next();
            sent.Add(Task.Run(async () =>
            {
                await SendAsync(http, path, request, ct);
                return (clock.Elapsed - due).TotalMilliseconds;
            }, ct));
        }
        return (await Task.WhenAll(sent)).Order().ToArray();
    }

    private static async Task SendAsync(HttpClient http, string path, CheckRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, request, Json, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        await response.Content.ReadFromJsonAsync<CheckVerdict>(Json, ct);
    }
}
