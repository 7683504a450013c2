using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Cases;

/// <summary>Cases, their waves and holds, and who the CyberTipline report names as reporter (section "Cases").</summary>
public sealed class CasesOptions
{
    public const string Section = "Cases";

    /// <summary>A confirmed block joins its user's draft case when that case's latest item joined less than this long ago.</summary>
    public TimeSpan WaveWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a child-safety case is held at least (18 U.S.C. 2258A(h): one year); fewer than 365 is refused at start.</summary>
    [Range(365, 3650)]
    public int ChildSafetyHoldDays { get; set; } = 365;

    /// <summary>How often the intake looks for confirmed child-safety blocks.</summary>
    public TimeSpan IntakeInterval { get; set; } = TimeSpan.FromSeconds(1);

    public CyberTiplineReporter Reporter { get; set; } = new();
}

/// <summary>The reporter section of a CyberTipline report: the platform's legal contact, as NCMEC's documentation names the fields.</summary>
public sealed class CyberTiplineReporter
{
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    /// <summary>Required by NCMEC; the package says so until it is set.</summary>
    public string Email { get; set; } = "";
    /// <summary>Text NCMEC adds to every report: how legal process is served, data retention, a 24-hour emergency number.</summary>
    public string CompanyTemplate { get; set; } = "";
    public string LegalUrl { get; set; } = "";
    /// <summary>The service the reported account uses (espService), e.g. the platform's product name.</summary>
    public string Service { get; set; } = "";
}
