using System.Reflection;

namespace ModerationConsole.Scoring.Training;

/// <summary>A labelled prompt: the policy categories it belongs to (none for a harmless prompt).</summary>
public sealed record PromptExample(string Prompt, IReadOnlySet<string> Labels, bool HeldOut);

/// <summary>The synthetic prompt set shipped in the binary (TrainingData/prompts.tsv, made by scripts/make-prompt-set.py).</summary>
public static class ShippedPrompts
{
    public const string ResourceName = "ModerationConsole.Scoring.TrainingData.prompts.tsv";

    public static IReadOnlyList<PromptExample> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the shipped prompt set {ResourceName} is missing from the binary");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Lines of "split TAB labels TAB prompt"; '#' starts a comment line.</summary>
    public static IReadOnlyList<PromptExample> Parse(string tsv)
    {
        var examples = new List<PromptExample>();
        foreach (var (line, number) in tsv.Split('\n').Select((l, i) => (l.TrimEnd('\r'), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split('\t');
            if (fields.Length != 3 || fields[0] is not ("train" or "test"))
                throw new InvalidDataException($"prompts.tsv line {number}: expected 'train|test TAB labels TAB prompt'");
            var labels = fields[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            examples.Add(new PromptExample(fields[2], labels, fields[0] == "test"));
        }
        return examples;
    }
}
