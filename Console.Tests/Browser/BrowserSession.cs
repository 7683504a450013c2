using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ModerationConsole.Tests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright for .NET. Playwright's own browser download does not work here,
/// so the executable path is set; the flags keep Chromium from calling out to the network at start.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>How long actions and expectations wait, in milliseconds.</summary>
    private const float Timeout = 20_000;

    // Expectations wait as long as actions: at the start of a test run dozens of consoles share two cores, and a page
    // that waits on its first claim took longer than Playwright's default of 5 s there. The setting is process-wide.
    static BrowserSession() => Assertions.SetDefaultExpectTimeout(Timeout);

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;

    private BrowserSession(IPlaywright playwright, IBrowser browser, IPage page)
    {
        this.playwright = playwright;
        this.browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    public static async Task<BrowserSession> StartAsync(Uri baseAddress)
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium package (./test.sh does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString() });
        context.SetDefaultTimeout(Timeout);
        return new BrowserSession(playwright, browser, await context.NewPageAsync());
    }

    /// <summary>Signs in through the form and waits for the start page of the role (<paramref name="landing"/>).</summary>
    public async Task SignInAsync(string email, string password, string landing = "/queue")
    {
        await Page.GotoAsync("/login");
        await Page.FillAsync("#email", email);
        await Page.FillAsync("#password", password);
        await Page.ClickAsync("button[type=submit]");
        // The URL is the point; the page's content is awaited by the assertions that follow. Waiting for the "load"
        // event as well timed out under a loaded machine although the page had arrived. WaitForURLAsync cannot be told
        // not to: when the URL already matches as it is called, it waits for "load" whatever WaitUntil says.
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex(Regex.Escape(landing) + "$"));
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
