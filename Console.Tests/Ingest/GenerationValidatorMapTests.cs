using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;
using static ModerationConsole.Tests.Ingest.TestGenerations;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The map fields: <c>scores</c> (category to a number in [0, 1]) and <c>metadata</c> (string to string).</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public class GenerationValidatorMapTests
{
    private readonly GenerationValidator _validator = new(new IngestOptions());

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Scores_accept_numbers_from_0_to_1(double score) =>
        Assert.Equal(score, AssertValid(_validator.Validate(WithScores(new() { ["sexual"] = score }))).Scores["sexual"]);

    [Theory]
    [InlineData(-0.0001, "-0.0001")]
    [InlineData(1.0001, "1.0001")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Scores_reject_anything_outside_0_to_1(double score, string shown) =>
        AssertSingleError(_validator.Validate(WithScores(new() { ["sexual"] = score })),
            "scores.sexual", $"must be a number from 0 to 1 (got {shown})");

    [Fact]
    public void Score_keys_are_accepted_up_to_64_characters()
    {
        AssertValid(_validator.Validate(WithScores(new() { [new string('k', 64)] = 0.5 })));

        AssertSingleError(_validator.Validate(WithScores(new() { [new string('k', 65)] = 0.5 })),
            "scores", $"key \"{new string('k', 32)}...\" must be at most 64 characters (got 65)");
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("Sexual", "must contain only lower-case letters a-z, digits 0-9 and '_'")]
    [InlineData("self-harm", "must contain only lower-case letters a-z, digits 0-9 and '_'")]
    [InlineData("gewalt_ä", "must contain only lower-case letters a-z, digits 0-9 and '_'")]
    [InlineData("bad\nkey", "must not contain control characters (found U+000A at position 3)")]
    public void Score_keys_are_lower_case_letters_digits_and_underscore(string key, string message) =>
        AssertSingleError(_validator.Validate(WithScores(new() { [key] = 0.5 })),
            "scores", $"key \"{key.Replace("\n", "\\u000A")}\" {message}");

    [Fact]
    public void Score_errors_are_capped_so_a_hostile_map_cannot_flood_the_receipt()
    {
        var scores = Enumerable.Range(0, 1000).ToDictionary(i => $"K{i}", _ => 0.5);

        var result = _validator.Validate(WithScores(scores));

        Assert.Equal(10, result.Errors.Count);
    }

    [Fact]
    public void Metadata_accepts_32_entries_and_rejects_33()
    {
        AssertValid(_validator.Validate(WithMetadata(Entries(32))));

        AssertSingleError(_validator.Validate(WithMetadata(Entries(33))), "metadata", "must have at most 32 entries (got 33)");
    }

    [Fact]
    public void Metadata_keys_are_1_to_64_characters()
    {
        AssertValid(_validator.Validate(WithMetadata(new() { [new string('k', 64)] = "v" })));

        AssertSingleError(_validator.Validate(WithMetadata(new() { [new string('k', 65)] = "v" })),
            "metadata", $"key \"{new string('k', 32)}...\" must be at most 64 characters (got 65)");
        AssertSingleError(_validator.Validate(WithMetadata(new() { [""] = "v" })),
            "metadata", "key \"\" must not be empty");
    }

    [Fact]
    public void Metadata_keys_must_not_contain_control_characters_and_are_escaped_when_echoed() =>
        AssertSingleError(_validator.Validate(WithMetadata(new() { ["fake\"\nlog"] = "v" })),
            "metadata", "key \"fake\\u0022\\u000Alog\" must not contain control characters (found U+000A at position 5)");

    [Fact]
    public void Metadata_values_are_at_most_1024_characters()
    {
        AssertValid(_validator.Validate(WithMetadata(new() { ["note"] = new string('v', 1024) })));

        AssertSingleError(_validator.Validate(WithMetadata(new() { ["note"] = new string('v', 1025) })),
            "metadata.note", "must be at most 1024 characters (got 1025)");
    }

    [Fact]
    public void Metadata_values_may_be_empty_or_multi_line_but_not_null_nor_hold_other_control_characters()
    {
        AssertValid(_validator.Validate(WithMetadata(new() { ["empty"] = "", ["lines"] = "a\r\nb" })));

        AssertSingleError(_validator.Validate(WithMetadata(new() { ["note"] = null! })),
            "metadata.note", "must be a string, not null");
        AssertSingleError(_validator.Validate(WithMetadata(new() { ["note"] = "nul\0" })),
            "metadata.note", "must not contain control characters other than tab, line feed and carriage return (found U+0000 at position 3)");
    }

    private static FlaggedGeneration WithScores(Dictionary<string, double> scores)
    {
        var item = Valid();
        item.Scores = scores;
        return item;
    }

    private static FlaggedGeneration WithMetadata(Dictionary<string, string> metadata)
    {
        var item = Valid();
        item.Metadata = metadata;
        return item;
    }

    private static Dictionary<string, string> Entries(int count) =>
        Enumerable.Range(0, count).ToDictionary(i => $"key{i}", i => $"value {i}");
}
