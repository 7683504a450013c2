namespace ModerationConsole.Demo;

/// <summary>The demo mode's accounts. Their passwords are public (they are in the README): demo mode is for a laptop.</summary>
public static class DemoAccounts
{
    public static readonly IReadOnlyList<(string Email, string Password, string Role)> All =
    [
        ("admin@demo.local", "demo-admin-password", Accounts.Roles.Admin),
        ("moderator@demo.local", "demo-moderator-password", Accounts.Roles.Moderator),
        ("senior@demo.local", "demo-senior-password", Accounts.Roles.Senior),
        ("specialist@demo.local", "demo-specialist-password", Accounts.Roles.Specialist),
        ("auditor@demo.local", "demo-auditor-password", Accounts.Roles.Auditor),
    ];

    public const string ProducerName = "demo-simulator";

    public static string Banner =>
        "Demo accounts (email / password):" + Environment.NewLine +
        string.Join(Environment.NewLine, All.Select(a => $"  {a.Role,-10} {a.Email} / {a.Password}"));
}
