using ModerationConsole.Policy;

namespace ModerationConsole.Decisions;

/// <summary>
/// What the platform writes into an approved file and shows beside it (docs/contract.md, "Marking"): the visible label in
/// the user's language, IPTC's digital source type for AI output, and the C2PA assertions to sign into the file.
/// </summary>
public sealed record Marking(
    string? Label,
    bool AgeRestricted,
    bool DoNotDistribute,
    bool LimitVisibility,
    string IptcDigitalSourceType,
    IReadOnlyList<C2paAssertion> C2paAssertions)
{
    /// <summary>IPTC's term for media created by a trained model (EU AI Act Art. 50: marked machine-readably as AI-generated).</summary>
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    /// <summary>The marking of an approved generation under <paramref name="outcome"/>, its label in <paramref name="language"/> (else English).</summary>
    public static Marking Of(OutcomeRule outcome, string? language)
    {
        var rule = outcome.Marking;
        string? label = null;
        if (rule.Label is { } labels)
            label = language is not null && labels.TryGetValue(language, out var own) ? own : labels.GetValueOrDefault("en");
        List<C2paAssertion> assertions =
        [
            new("c2pa.actions", new Dictionary<string, object>
            {
                ["actions"] = new[] { new Dictionary<string, string> { ["action"] = "c2pa.created", ["digitalSourceType"] = TrainedAlgorithmicMedia } },
            }),
        ];
        // A file its user may not pass on is not to be mined or trained on either.
        if (rule.DoNotDistribute)
            assertions.Add(new("c2pa.training-mining", new Dictionary<string, object>
            {
                ["entries"] = new[] { "c2pa.ai_generative_training", "c2pa.ai_inference", "c2pa.ai_training", "c2pa.data_mining" }
                    .ToDictionary(entry => entry, _ => new Dictionary<string, string> { ["use"] = "notAllowed" }),
            }));
        return new Marking(label, rule.AgeRestricted, rule.DoNotDistribute, rule.LimitVisibility, TrainedAlgorithmicMedia, assertions);
    }
}

/// <summary>One C2PA assertion as c2patool's manifest definition writes it: its label and its data.</summary>
public sealed record C2paAssertion(string Label, IReadOnlyDictionary<string, object> Data);
