namespace ModerationConsole.Accounts;

public static class Roles
{
    public const string Moderator = "moderator";
    public const string Senior = "senior";
    /// <summary>A senior trained for child-safety work: everything a senior does, plus child-safety cases and their reports.</summary>
    public const string Specialist = "specialist";
    public const string Admin = "admin";
    public const string Auditor = "auditor";
    /// <summary>A machine: the generation platform, authenticated by API key.</summary>
    public const string Producer = "producer";
    /// <summary>Manages the block bank (imports hashes, takes entries out): seniors and admins.</summary>
    public const string Bank = "bank";
    /// <summary>Sees every moderator's exposure to severe content, to look after the team: seniors and admins.</summary>
    public const string TeamWellness = "team-wellness";

    public static readonly IReadOnlyList<string> People = [Moderator, Senior, Specialist, Admin, Auditor];
}

/// <summary>Named authorization policies; every page, hub and endpoint names one of these and the server enforces it.</summary>
public static class Policies
{
    /// <summary>Works the standard queue.</summary>
    public const string Review = "review";
    /// <summary>Works the escalation queue.</summary>
    public const string Escalations = "escalations";
    public const string Admin = "admin";
    public const string Audit = "audit";
    /// <summary>Reads an item's full history (decisions, overturns, audit entries): seniors, admins and auditors.</summary>
    public const string History = "history";
    public const string Producer = "producer";
    /// <summary>Manages the block bank (imports hashes, takes entries out): seniors and admins.</summary>
    public const string Bank = "bank";
    /// <summary>Sees every moderator's exposure to severe content, to look after the team: seniors and admins.</summary>
    public const string TeamWellness = "team-wellness";
    /// <summary>Reads a platform user's account page (generations, strikes, actions, appeals, notices): every staff role.</summary>
    public const string Accounts = "accounts";
    /// <summary>Opens and works cases (other than child-safety ones), places legal holds and works removal requests: seniors, specialists and admins.</summary>
    public const string Cases = "cases";
    /// <summary>Sees and works child-safety cases, their evidence and their CyberTipline reports: specialists only.</summary>
    public const string ChildSafety = "child-safety";

    public static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [Review] = [Roles.Moderator, Roles.Senior, Roles.Specialist, Roles.Admin],
        [Escalations] = [Roles.Senior, Roles.Specialist, Roles.Admin],
        [Admin] = [Roles.Admin],
        [Audit] = [Roles.Auditor, Roles.Admin],
        [History] = [Roles.Senior, Roles.Specialist, Roles.Admin, Roles.Auditor],
        [Bank] = [Roles.Senior, Roles.Specialist, Roles.Admin],
        [TeamWellness] = [Roles.Senior, Roles.Specialist, Roles.Admin],
        [Accounts] = [Roles.Moderator, Roles.Senior, Roles.Specialist, Roles.Admin, Roles.Auditor],
        [Cases] = [Roles.Senior, Roles.Specialist, Roles.Admin],
        [ChildSafety] = [Roles.Specialist],
    };

    /// <summary>The policy a moderator needs to claim from <paramref name="queue"/>.</summary>
    public static string ForQueue(string queue) => queue == Policy.Queues.Escalation ? Escalations : Review;
}
