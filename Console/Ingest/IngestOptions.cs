using System.ComponentModel.DataAnnotations;

namespace ModerationConsole.Ingest;

/// <summary>Limits of the ingest contract. Section "Ingest" of appsettings.json.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest decoded image accepted (PRODUCT.md: 10 MiB by default).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest width and largest height, in pixels.</summary>
    [Range(16, 65535)]
    public int MaxImageDimension { get; set; } = 4096;

    /// <summary>
    /// Memory that images being decoded may hold at once, across the process (ingest, scoring, checks): see
    /// <see cref="Imaging.DecodeBudget"/>. The default fits one 4096×4096 image or twenty 1024×1024 ones.
    /// </summary>
    [Range(16L * 1024 * 1024, 64L * 1024 * 1024 * 1024)]
    public long DecodeBudgetBytes { get; set; } = Imaging.DecodeBudget.DefaultBytes;

    [Range(1, 500)]
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// SignalR's and Kestrel's limit for one message or request body. Raised on purpose from SignalR's 32 KB default:
    /// one item may carry a 10 MiB image (13.4 MiB as base64), and a batch of 100 typical images is a few MiB.
    /// A message over this limit is refused by the transport, so producers split larger batches.
    /// </summary>
    [Range(64 * 1024, 1024L * 1024 * 1024)]
    public long MaxMessageBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How often open hub connections are checked against their producer's key even when no key change was heard: a
    /// change is acted on as soon as its notification arrives, and this bounds the wait when a notification was lost.
    /// A connection opened with a key since revoked or replaced is closed (and refused any batch before that).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeyRecheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}
