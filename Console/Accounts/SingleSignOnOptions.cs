namespace ModerationConsole.Accounts;

/// <summary>Section "Sso" of appsettings.json: sign-in through the organisation's OpenID Connect provider.</summary>
public sealed class SingleSignOnOptions
{
    public const string Section = "Sso";

    /// <summary>The provider's issuer URL (its discovery document is read from it). Empty turns single sign-on off.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>What the sign-in button says: "Sign in with …".</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>The claim that carries the person's groups or roles at the provider (e.g. groups, roles).</summary>
    public string RoleClaim { get; set; } = "groups";

    /// <summary>
    /// The provider's group (or role) name → the console's role, e.g. <c>Sso:Roles:ts-leads=admin</c>. Someone in none
    /// of them is refused; someone in several gets the first of admin, senior, moderator, auditor.
    /// </summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether local accounts (email and password) may still sign in beside single sign-on.</summary>
    public bool LocalAccounts { get; set; } = true;

    /// <summary>Refuse a provider reached over plain HTTP (only tests on loopback turn this off).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    private static readonly string[] Precedence = [ModerationConsole.Accounts.Roles.Admin, ModerationConsole.Accounts.Roles.Specialist, ModerationConsole.Accounts.Roles.Senior,
        ModerationConsole.Accounts.Roles.Moderator, ModerationConsole.Accounts.Roles.Auditor];

    /// <summary>The console role the provider's <paramref name="groups"/> map to, or null when none does.</summary>
    public string? RoleFor(IEnumerable<string> groups)
    {
        var mapped = groups.Select(g => Roles.GetValueOrDefault(g)).Where(r => r is not null).ToHashSet();
        return Precedence.FirstOrDefault(mapped.Contains);
    }
}
