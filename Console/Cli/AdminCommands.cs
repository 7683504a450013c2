using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Hosting;
using ModerationConsole.Producers;

namespace ModerationConsole.Cli;

public static class AdminCommands
{
    public static async Task<int> MigrateAsync(CliArguments arguments)
    {
        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        // AdminHost already brought the schema up to date; run again to report that nothing is pending.
        var applied = await host.Services.GetRequiredService<DatabaseStartup>().RunAsync(CancellationToken.None);
        System.Console.WriteLine(applied.Count == 0 ? "The database is up to date." : $"Applied: {string.Join(", ", applied)}");
        return 0;
    }

    public static async Task<int> UserAsync(CliArguments arguments)
    {
        var verb = arguments.TakeWord();
        if (verb is "role" or "disable" or "enable") return await ChangeUserAsync(verb, arguments);
        if (verb == "password") return await SetPasswordAsync(arguments);
        if (verb != "add")
            throw new UsageException("expected 'user add EMAIL --role ROLE', 'user role EMAIL --role ROLE', 'user password EMAIL', 'user disable EMAIL' or 'user enable EMAIL'");
        var email = arguments.TakeWord() ?? throw new UsageException("user add needs an EMAIL");
        var role = arguments.TakeOption("--role") ?? throw new UsageException("user add needs --role ROLE");
        var password = ReadPassword();
        var problems = UserStore.ValidateNew(email, password, role);
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));

        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        var user = await host.Services.GetRequiredService<UserStore>().CreateAsync(email, password, role, Actor.Console);
        System.Console.WriteLine($"Created user {user.Email} (id {user.Id}) with role {user.Role}.");
        return 0;
    }

    /// <summary><c>user role EMAIL --role ROLE</c>, <c>user disable EMAIL</c>, <c>user enable EMAIL</c>: audited as done by the console.</summary>
    private static async Task<int> ChangeUserAsync(string verb, CliArguments arguments)
    {
        var email = arguments.TakeWord() ?? throw new UsageException($"user {verb} needs an EMAIL");
        var role = verb == "role" ? arguments.TakeOption("--role") ?? throw new UsageException("user role needs --role ROLE") : null;

        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        var users = host.Services.GetRequiredService<UserStore>();
        var user = verb switch
        {
            "role" => await users.ChangeRoleAsync(email, role!, Actor.Console),
            _ => await users.SetDisabledAsync(email, verb == "disable", Actor.Console),
        };
        System.Console.WriteLine($"{user.Email} (id {user.Id}) is now {(user.DisabledAt is null ? "enabled" : "disabled")} with role {user.Role}.");
        return 0;
    }

    /// <summary><c>user password EMAIL</c>: a new password from standard input (a forgotten one); every session of the person ends.</summary>
    private static async Task<int> SetPasswordAsync(CliArguments arguments)
    {
        var email = arguments.TakeWord() ?? throw new UsageException("user password needs an EMAIL");
        var password = ReadPassword();
        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        var user = await host.Services.GetRequiredService<Passwords>().SetAsync(email, password, Actor.Console);
        System.Console.WriteLine($"Set a new password for {user.Email} (id {user.Id}); their sessions have ended.");
        return 0;
    }

    public static async Task<int> ProducerAsync(CliArguments arguments)
    {
        if (arguments.TakeWord() != "add") throw new UsageException("expected 'producer add NAME'");
        var name = arguments.TakeWord() ?? throw new UsageException("producer add needs a NAME");

        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        var created = await host.Services.GetRequiredService<ProducerStore>().CreateAsync(name, Actor.Console);
        System.Console.WriteLine($"Created producer '{created.Producer.Name}' (id {created.Producer.Id}).");
        System.Console.WriteLine("Its API key follows. It is shown only this once; the console stores only its hash.");
        // Alone on the last line, so scripts can capture it with `tail -n 1`.
        System.Console.WriteLine(created.ApiKey);
        return 0;
    }

    /// <summary><c>audit verify</c>: exit 0 when the chain holds, 1 naming the first entry that does not match.</summary>
    public static async Task<int> AuditAsync(CliArguments arguments)
    {
        if (arguments.TakeWord() != "verify") throw new UsageException("expected 'audit verify'");

        await using var host = await AdminHost.StartAsync(arguments.Remaining);
        var result = await host.Services.GetRequiredService<AuditVerification>().VerifyAsync(Actor.Console);
        System.Console.WriteLine(result.ToString());
        return result.Intact ? 0 : 1;
    }

    /// <summary>The password from standard input: one line when piped, typed without echo at a terminal.</summary>
    private static string ReadPassword()
    {
        if (System.Console.IsInputRedirected)
            return System.Console.In.ReadLine() ?? throw new UsageException("no password on standard input");

        System.Console.Error.Write("Password: ");
        var password = new System.Text.StringBuilder();
        while (true)
        {
            var key = System.Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (password.Length > 0) password.Length--; }
            else if (!char.IsControl(key.KeyChar)) password.Append(key.KeyChar);
        }
        System.Console.Error.WriteLine();
        return password.ToString();
    }
}
