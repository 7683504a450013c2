using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Ingest;
using ModerationConsole.Ingest.Validation;
using Xunit;
using static ModerationConsole.Tests.Ingest.TestGenerations;

namespace ModerationConsole.Tests.Ingest;

/// <summary>The text fields of the ingest contract (PRODUCT.md, "Ingest contract"), and how errors are reported.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public class GenerationValidatorTests
{
    private readonly GenerationValidator _validator = new(new IngestOptions());

    [Fact]
    public void A_valid_item_becomes_a_ValidGeneration_with_every_field_carried_over()
    {
        var item = Valid();

        var generation = AssertValid(_validator.Validate(item));

        Assert.Equal("gen-0001", generation.GenerationId);
        Assert.Equal("user-42", generation.UserId);
        Assert.Equal("a cat wearing a hat", generation.Prompt);
        Assert.Equal("blurry", generation.NegativePrompt);
        Assert.Equal("imagegen 3.1", generation.Model);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 30, 0, TimeSpan.Zero), generation.CreatedAt);
        Assert.Equal(Convert.FromBase64String(item.Image!), generation.ImageBytes);
        Assert.Equal(new ImageInfo(ImageFormat.Png, 2, 2), generation.Image);
        Assert.Equal(new Dictionary<string, double> { ["sexual"] = 0.91, ["violence"] = 0.02 }, generation.Scores);
        Assert.Equal("DE", generation.Jurisdiction);
        Assert.Equal("free", generation.UserTier);
        Assert.True(generation.AgeVerified);
        Assert.Equal(new Dictionary<string, string> { ["region"] = "eu-west" }, generation.Metadata);
    }

    [Fact]
    public void Only_the_required_fields_are_needed()
    {
        var item = new FlaggedGeneration
        {
            GenerationId = "g",
            UserId = "u",
            Prompt = "p",
            CreatedAt = "2024-05-01T12:30:00Z",
            Image = TestImages.Base64(TestImages.Jpeg(4, 4)),
        };

        var generation = AssertValid(_validator.Validate(item));

        Assert.Null(generation.NegativePrompt);
        Assert.Null(generation.Model);
        Assert.Empty(generation.Scores);
        Assert.Null(generation.Jurisdiction);
        Assert.Null(generation.UserTier);
        Assert.Null(generation.AgeVerified);
        Assert.Empty(generation.Metadata);
    }

    [Fact]
    public void A_null_item_is_rejected() =>
        AssertSingleError(_validator.Validate(null), "item", "must be an object, not null");

    [Theory]
    [InlineData("generationId")]
    [InlineData("userId")]
    [InlineData("prompt")]
    [InlineData("createdAt")]
    [InlineData("image")]
    public void Required_fields_must_be_present(string field) =>
        AssertSingleError(_validator.Validate(With(field, null)), field, "is required");

    [Theory]
    [InlineData("generationId")]
    [InlineData("userId")]
    [InlineData("userTier")]
    [InlineData("image")]
    public void Fields_of_at_least_one_character_must_not_be_empty(string field) =>
        AssertSingleError(_validator.Validate(With(field, "")), field, "must not be empty");

    [Theory]
    [InlineData("prompt")]
    [InlineData("negativePrompt")]
    [InlineData("model")]
    public void Fields_with_only_a_maximum_may_be_empty(string field) =>
        AssertValid(_validator.Validate(With(field, "")));

    [Theory]
    [InlineData("generationId", 128)]
    [InlineData("userId", 128)]
    [InlineData("prompt", 8000)]
    [InlineData("negativePrompt", 8000)]
    [InlineData("model", 256)]
    [InlineData("userTier", 32)]
    public void Text_fields_are_accepted_at_their_length_limit_and_rejected_one_over(string field, int limit)
    {
        AssertValid(_validator.Validate(With(field, new string('a', limit))));

        AssertSingleError(_validator.Validate(With(field, new string('a', limit + 1))),
            field, $"must be at most {limit} characters (got {limit + 1})");
    }

    [Theory]
    [InlineData("line one\nline two")]
    [InlineData("windows\r\nline")]
    [InlineData("a\ttab")]
    public void Prompts_may_contain_tabs_and_line_breaks(string prompt)
    {
        AssertValid(_validator.Validate(With("prompt", prompt)));
        AssertValid(_validator.Validate(With("negativePrompt", prompt)));
    }

    [Theory]
    [InlineData("prompt", "nul\0byte", "U+0000 at position 3")]
    [InlineData("prompt", "escape\u001b[31m", "U+001B at position 6")]
    [InlineData("prompt", "delete\u007f", "U+007F at position 6")]
    [InlineData("negativePrompt", "\u0007bell", "U+0007 at position 0")]
    public void Prompts_must_not_contain_other_control_characters(string field, string value, string found) =>
        AssertSingleError(_validator.Validate(With(field, value)), field,
            $"must not contain control characters other than tab, line feed and carriage return (found {found})");

    [Theory]
    [InlineData("generationId", "gen\t1", "U+0009 at position 3")]
    [InlineData("userId", "user\n", "U+000A at position 4")]
    [InlineData("model", "model\r", "U+000D at position 5")]
    [InlineData("model", "c1\u0085control", "U+0085 at position 2")]
    [InlineData("userTier", "free\u0000", "U+0000 at position 4")]
    public void Ids_model_and_user_tier_must_not_contain_any_control_character(string field, string value, string found) =>
        AssertSingleError(_validator.Validate(With(field, value)), field, $"must not contain control characters (found {found})");

    // A lone surrogate cannot be written in an attribute (it is stored as UTF-8), so each case names its code unit.
    [Theory]
    [InlineData("generationId", "", 0xD800, "", 0)]
    [InlineData("userId", "a", 0xDC00, "b", 1)]
    [InlineData("prompt", "ends in a high surrogate ", 0xD83D, "", 25)]
    [InlineData("negativePrompt", "", 0xDE00, "\U0001F600", 0)] // a low surrogate before a valid pair
    [InlineData("model", "m", 0xD83D, "\U0001F600", 1)] // a high surrogate before a valid pair
    public void Strings_must_not_contain_unpaired_surrogates(string field, string before, int surrogate, string after, int position) =>
        AssertSingleError(_validator.Validate(With(field, before + (char)surrogate + after)), field,
            $"must be valid Unicode text (unpaired surrogate U+{surrogate:X4} at position {position})");

    [Fact]
    public void Unpaired_surrogates_are_rejected_in_map_keys_and_values_too()
    {
        var item = Valid();
        item.Metadata = new() { ["note"] = "x\uD800" };
        item.Scores = new() { ["\uDC00"] = 0.5 };

        var result = _validator.Validate(item);

        Assert.Equal(
            [
                new FieldError("scores", "key \"\\uDC00\" must be valid Unicode text (unpaired surrogate U+DC00 at position 0)"),
                new FieldError("metadata.note", "must be valid Unicode text (unpaired surrogate U+D800 at position 1)"),
            ],
            result.Errors);
    }

    [Fact]
    public void Characters_outside_the_basic_plane_are_fine() =>
        AssertValid(_validator.Validate(With("prompt", "a cat \U0001F431 in a hat \U0001F3A9")));

    [Theory]
    [InlineData("2024-05-01T12:30:00Z", "2024-05-01T12:30:00+00:00")]
    [InlineData("2024-05-01t12:30:00z", "2024-05-01T12:30:00+00:00")]
    [InlineData("2024-05-01T12:30:00.123+02:00", "2024-05-01T12:30:00.123+02:00")]
    [InlineData("2024-05-01T12:30:00.123456789-05:30", "2024-05-01T12:30:00.1234568-05:30")]
    public void CreatedAt_accepts_ISO_8601_date_times_with_an_offset(string value, string expected)
    {
        var generation = AssertValid(_validator.Validate(With("createdAt", value)));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), generation.CreatedAt);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).Offset, generation.CreatedAt.Offset);
    }

    [Theory]
    [InlineData("2024-05-01")] // a date without a time
    [InlineData("2024-05-01T12:30:00")] // no offset: which instant is meant?
    [InlineData("2024-05-01T12:30Z")] // no seconds
    [InlineData("2024-05-01 12:30:00Z")]
    [InlineData("2024-05-01T12:30:00+0200")]
    [InlineData("2024-05-01T12:30:00Z\n")]
    [InlineData("5/1/2024 12:30:00 +00:00")]
    [InlineData("2024-13-01T12:30:00Z")]
    [InlineData("2024-02-30T12:30:00Z")]
    [InlineData("2024-05-01T24:00:00Z")]
    [InlineData("2024-05-01T12:30:00+15:00")]
    [InlineData("yesterday")]
    [InlineData("")]
    public void CreatedAt_rejects_anything_else(string value) =>
        AssertSingleError(_validator.Validate(With("createdAt", value)), "createdAt",
            "must be an ISO-8601 date-time with a UTC offset or Z, e.g. 2024-05-01T12:30:00Z (got " +
            $"\"{value.Replace("\n", "\\u000A")}\")");

    [Theory]
    [InlineData("DE", "DE")]
    [InlineData("de", "DE")]
    [InlineData("gB", "GB")]
    public void Jurisdiction_is_two_letters_normalised_to_upper_case(string value, string expected) =>
        Assert.Equal(expected, AssertValid(_validator.Validate(With("jurisdiction", value))).Jurisdiction);

    [Theory]
    [InlineData("")]
    [InlineData("D")]
    [InlineData("DEU")]
    [InlineData("1A")]
    [InlineData("D-")]
    [InlineData("ÄB")]
    [InlineData("Germany")]
    public void Jurisdiction_rejects_anything_but_two_letters(string value) =>
        AssertSingleError(_validator.Validate(With("jurisdiction", value)), "jurisdiction",
            $"must be an ISO 3166-1 alpha-2 country code, two letters A-Z (got \"{value}\")");

    [Theory]
    [InlineData("free")]
    [InlineData("Premium_Plus-2")]
    public void UserTier_accepts_letters_digits_underscore_and_hyphen(string value) =>
        Assert.Equal(value, AssertValid(_validator.Validate(With("userTier", value))).UserTier);

    [Theory]
    [InlineData("pre mium")]
    [InlineData("prémium")]
    [InlineData("free!")]
    public void UserTier_rejects_other_characters(string value) =>
        AssertSingleError(_validator.Validate(With("userTier", value)), "userTier",
            "must contain only letters A-Z and a-z, digits 0-9, '_' and '-'");

    [Fact]
    public void Every_broken_field_is_reported_together_in_contract_order()
    {
        var item = new FlaggedGeneration
        {
            GenerationId = new string('g', 129),
            Prompt = null,
            CreatedAt = "2024-05-01",
            Image = TestImages.Base64([1, 2, 3]),
            Scores = new() { ["sexual"] = 2 },
            Jurisdiction = "XYZ",
            UserTier = "",
            Metadata = new() { [""] = "empty key" },
        };

        var result = _validator.Validate(item);

        Assert.False(result.IsValid);
        Assert.Null(result.Generation);
        Assert.Equal(
            ["generationId", "userId", "prompt", "createdAt", "image", "scores.sexual", "jurisdiction", "userTier", "metadata"],
            result.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Validation_never_changes_the_item_and_the_result_does_not_share_its_maps()
    {
        var item = Valid();
        item.Jurisdiction = "de";

        var generation = AssertValid(_validator.Validate(item));
        item.Scores!["sexual"] = 0;
        item.Metadata!["region"] = "changed";

        Assert.Equal("de", item.Jurisdiction);
        Assert.Equal(0.91, generation.Scores["sexual"]);
        Assert.Equal("eu-west", generation.Metadata["region"]);
    }
}
