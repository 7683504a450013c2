namespace ModerationConsole.Accounts;

/// <summary>
/// Whether this process runs <c>serve --demo</c>. Demo accounts have public passwords: outside demo mode they may not
/// sign in, and a session they opened ends (<see cref="UserStore.SignInAsync"/>, <see cref="UserStore.CurrentRoleAsync"/>).
/// </summary>
public sealed record DemoMode(bool On)
{
    public static readonly DemoMode Off = new(false);
}
