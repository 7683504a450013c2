using System.Security.Cryptography;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Simulate;

namespace ModerationConsole.Bench;

/// <summary>
/// <c>bench review</c>: moderators deciding by keyboard in headless Chromium, one alone and then eight at once, each
/// on their own signed-in review page over a seeded standard queue (photo-sized PNGs). Each decision presses <c>a</c> in
/// the page and times, in the page, the moment the next item is in it and the moment its image has loaded; a moderator
/// looks at each item for half to one and a half times <c>--look</c> ms (default 2,000: thirty items a minute, a fast
/// moderator) before deciding. Goals: the image p95 at most 1.2× the item
/// p95 (the next item and its image are prepared while the current one is decided), and eight moderators' item p95 at
/// most 1.5× one moderator's.
/// </summary>
public sealed class ReviewBenchmark : IBenchmark
{
    private const string Password = "bench-review-password";
    private const int Crowd = 8;
    private const int Images = 16;

    /// <summary>
    /// In the page: press "a", wait until the review image is another item's (or the queue is empty), then until that
    /// image has loaded; both times from the keypress, in ms. Null when the page shows no item to decide.
    /// </summary>
    private const string DecideAndTime =
        """
        (async () => {
          const image = () => document.querySelector('[data-testid=review-image]');
          const before = image()?.dataset.src;
          if (!before || !window.reviewKeys) return null;
          const moved = () => (image() && image().dataset.src !== before) || document.querySelector('[data-testid=queue-empty]');
          const started = performance.now();
          const inPage = new Promise(resolve => {
            const watch = new MutationObserver(() => { if (moved()) { watch.disconnect(); resolve(performance.now()); } });
            watch.observe(document.body, { childList: true, subtree: true, attributes: true });
          });
          document.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', bubbles: true }));
          const shown = await inPage;
          const next = image();
          if (!next) return { item: shown - started, image: null };
          const loaded = next.src && next.complete && next.naturalWidth > 0 ? performance.now() : await new Promise(resolve => {
            next.addEventListener('load', () => resolve(performance.now()), { once: true });
            next.addEventListener('error', () => resolve(null), { once: true });
          });
          return { item: shown - started, image: loaded === null ? null : loaded - started, ahead: next.src.startsWith('blob:') };
        })()
        """;

    public string Name => "review";
    public string Summary => "keypress → next item in the page and → its image loaded, p50/p95, for 1 and 8 moderators in headless Chromium; goals ≤ 1.2× and ≤ 1.5×";

    public async Task RunAsync(BenchRun run, CancellationToken ct)
    {
        var decisions = run.Arguments.TakeIntOption("--decisions", 5, 1000) ?? 40;
        var look = run.Arguments.TakeIntOption("--look", 0, 10_000) ?? 2_000;
        var chromium = run.Arguments.TakeOption("--chromium") ?? "/usr/bin/chromium";
        var (services, baseAddress) = await run.StartConsoleAsync();
        var report = run.Report;

        var users = services.GetRequiredService<UserStore>();
        var emails = Enumerable.Range(1, Crowd).Select(i => $"bench-review-{i}@example.org").ToArray();
        foreach (var email in emails) await users.CreateAsync(email, Password, Roles.Moderator, Actor.Console, ct);
        var imageBytes = await SeedAsync(run, (decisions + 5) * (Crowd + 1) + 50, ct);
        report.Figure("image size", imageBytes / 1024.0, $"KiB, PNG, {Images} different images");

        using var browser = await HeadlessChromium.StartAsync(chromium, ct);
        var pages = new List<string>();
        foreach (var email in emails)
            pages.Add(await browser.OpenSignedInPageAsync(new Uri(baseAddress, "/review/standard"),
                await BenchSignIn.CookieAsync(baseAddress, email, Password, ct), ct));

        // Warm: every page interactive and through a few decisions, the runtime's code settled.
        await Task.WhenAll(pages.Select(page => DecideAsync(browser, page, 3, look, ct)));

        var alone = await DecideAsync(browser, pages[0], decisions, look, ct);
        var together = (await Task.WhenAll(pages.Select(page => DecideAsync(browser, page, decisions, look, ct))))
            .Aggregate((a, b) => (a.Item.Concat(b.Item).Order().ToArray(), a.Image.Concat(b.Image).Order().ToArray(), a.Ahead + b.Ahead));
        // Pages closed before the console stops, so that their circuits end while it still runs.
        foreach (var page in pages) await browser.SendAsync("Page.navigate", new System.Text.Json.Nodes.JsonObject { ["url"] = "about:blank" }, ct, page);
        var circuits = services.GetRequiredService<Operations.CircuitCounter>();
        for (var wait = 0; circuits.Open > 0 && wait < 50; wait++) await Task.Delay(100, ct);

        foreach (var (label, times) in new[] { ("1 moderator", (alone.Item, alone.Image)), ($"{Crowd} moderators", (together.Item, together.Image)) })
        {
            report.Figure($"{label}: next item in the page, p50", Latencies.Percentile(times.Item, 0.50), "ms");
            report.Figure($"{label}: next item in the page, p95", Latencies.Percentile(times.Item, 0.95), "ms");
            report.Figure($"{label}: its image loaded, p50", Latencies.Percentile(times.Image, 0.50), "ms");
            report.Figure($"{label}: its image loaded, p95", Latencies.Percentile(times.Image, 0.95), "ms");
        }
        report.Figure("images there ahead", 100.0 * (alone.Ahead + together.Ahead) / (alone.Item.Length + together.Item.Length),
            "% of decisions: the next image was fetched and decoded while the moderator looked at the current one");
        report.Ratio("1 moderator: image p95 / item p95", Latencies.Percentile(alone.Image, 0.95), Latencies.Percentile(alone.Item, 0.95), goal: 1.2,
            higherIsBetter: false);
        report.Ratio($"{Crowd} moderators: image p95 / item p95", Latencies.Percentile(together.Image, 0.95), Latencies.Percentile(together.Item, 0.95),
            goal: 1.2, higherIsBetter: false);
        report.Ratio($"item p95, {Crowd} moderators / 1", Latencies.Percentile(together.Item, 0.95), Latencies.Percentile(alone.Item, 0.95), goal: 1.5,
            higherIsBetter: false);
    }

    /// <summary><paramref name="count"/> decisions on one page; the times in ms, ascending, and how many images were there ahead.</summary>
    private static async Task<(double[] Item, double[] Image, int Ahead)> DecideAsync(HeadlessChromium browser, string page, int count, int look,
        CancellationToken ct)
    {
        var items = new List<double>();
        var images = new List<double>();
        var random = new Random(page.GetHashCode());
        var ahead = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (items.Count < count)
        {
            // People do not look at every item for the same time, nor decide in step with each other.
            await Task.Delay(TimeSpan.FromMilliseconds(look * (0.5 + random.NextDouble())), ct);
            var timed = await browser.EvaluateAsync(page, DecideAndTime, ct);
            if (timed is null)
            {
                // Not interactive yet (the page is still connecting), or between items.
                if (DateTime.UtcNow > deadline) throw new TimeoutException("A review page showed no item to decide for two minutes.");
                await Task.Delay(200, ct);
                continue;
            }
            items.Add(timed["item"]!.GetValue<double>());
            if (timed["image"] is { } image) images.Add(image.GetValue<double>());
            if (timed["ahead"]?.GetValue<bool>() == true) ahead++;
        }
        return (items.Order().ToArray(), images.Order().ToArray(), ahead);
    }

    /// <summary>A producer and <paramref name="rows"/> pending items of the standard queue, their images photo-sized PNGs; the size of one.</summary>
    private static async Task<int> SeedAsync(BenchRun run, int rows, CancellationToken ct)
    {
        var pictures = Enumerable.Range(0, Images).Select(seed => SyntheticImages.NoisyPng(384, 384, seed)).ToArray();
        await using var connection = await run.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            """
            insert into producers (name, key_hash, key_prefix) values ('bench-review', '\x00', 'bench');
            insert into images (sha256, content_type, width, height, byte_length, bytes)
            select sha, 'image/png', 384, 384, length(bytes), bytes from unnest(@shas::bytea[], @pictures::bytea[]) as p (sha, bytes);
            insert into review_items (producer_id, generation_id, user_id, prompt, created_at, image_sha256, jurisdiction,
                                      policy_version, route, status, queue, priority, received_at)
            select (select id from producers where name = 'bench-review'), 'review-' || g, 'user-' || (g % 500),
                   'a photo of a person on a beach at sunset, number ' || g, now() - interval '1 hour', (@shas::bytea[])[1 + g % @images],
                   'DE', (select version from policies where active), 'queued', 'pending', 'standard', 10,
                   now() - interval '1 hour' + g * interval '1 millisecond'
            from generate_series(1, @rows) g;
            analyze review_items;
            """, new { shas = pictures.Select(SHA256.HashData).ToArray(), pictures, rows, images = Images });
        return pictures[0].Length;
    }
}
