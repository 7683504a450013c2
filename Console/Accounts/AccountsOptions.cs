namespace ModerationConsole.Accounts;

/// <summary>Section "Accounts" of appsettings.json: how people sign in.</summary>
public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>
    /// Roles whose local accounts must use a second factor (comma-separated): their first sign-in enrols one. Empty
    /// makes it optional for everyone. Demo mode, whose accounts have public passwords, asks for none.
    /// </summary>
    public string SecondFactorRequiredFor { get; set; } = $"{Roles.Admin},{Roles.Senior},{Roles.Specialist}";

    public bool RequiresSecondFactor(string role) =>
        SecondFactorRequiredFor.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(role, StringComparer.OrdinalIgnoreCase);
}
