using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ModerationConsole.Policy;
using ModerationConsole.Review;
using ModerationConsole.Tests.Hashing;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.OptOuts;

/// <summary>
/// The opt-out registry: a platform registers a person by user id or a picture, and generations that name the person
/// or copy the picture go to a person with the opt-out shown, even where routing would have approved them.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class OptOutTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres)
{
    private HttpClient Api() => ProducerClient.Http(console.BaseAddress, apiKey);

    [Fact]
    public async Task A_generation_naming_an_opted_out_user_goes_to_review_with_the_opt_out_shown()
    {
        using var http = Api();
        var added = await (await http.PostAsJsonAsync("/api/v1/opt-outs", new { optOutId = "oo-1", userId = "artist-9", note = "Asked on 3 May." }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("added", added.GetProperty("status").GetString());

        var naming = await producer.SubmitAsync(GenerationBuilder.AutoApproved()
            .WithMetadata(new Dictionary<string, string> { ["subjectUserIds"] = "someone, artist-9" }).Build());
        var other = await producer.SubmitAsync(GenerationBuilder.AutoApproved()
            .WithMetadata(new Dictionary<string, string> { ["subjectUserIds"] = "someone" }).Build());

        Assert.Equal((Routes.Queued, Routes.AutoApproved), (naming.Route, other.Route));
        var item = (await console.Service<ReviewItemReader>().ReadAsync(naming.ItemId!.Value))!;
        Assert.Equal($"A platform user named as its subject opted out (artist-9): Asked on 3 May. (opt-out #{added.GetProperty("id").GetInt64()}).", item.OptOut);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("user", await connection.ExecuteScalarAsync<string>(
            "select details -> 'optOut' ->> 'kind' from audit_log where action = 'item.ingested' and item_id = @ItemId", naming));
    }

    [Fact]
    public async Task An_edit_of_an_opted_out_picture_goes_to_review_and_taking_the_opt_out_back_ends_that()
    {
        using var picture = TestPictures.Draw(seed: 801);
        using var http = Api();
        (await http.PostAsJsonAsync("/api/v1/opt-outs", new { optOutId = "oo-photo", image = Convert.ToBase64String(TestPictures.Png(picture)) }))
            .EnsureSuccessStatusCode();

        var edit = await producer.SubmitAsync(GenerationBuilder.AutoApproved().WithImage(TestPictures.Jpeg(TestPictures.Resize(picture, 0.8), 70)).Build());
        using var unrelated = TestPictures.Draw(seed: 802);
        var other = await producer.SubmitAsync(GenerationBuilder.AutoApproved().WithImage(TestPictures.Png(unrelated)).Build());
        Assert.Equal((Routes.Queued, Routes.AutoApproved), (edit.Route, other.Route));

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/v1/opt-outs/oo-photo")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/api/v1/opt-outs/oo-photo")).StatusCode);
        var later = await producer.SubmitAsync(GenerationBuilder.AutoApproved().WithImage(TestPictures.Jpeg(picture, 60)).Build());
        Assert.Equal(Routes.AutoApproved, later.Route);
    }

    [Fact]
    public async Task Bad_input_names_the_field_and_the_same_id_again_changes_nothing()
    {
        using var http = Api();
        async Task<string[]> FieldsOf(object body)
        {
            var response = await http.PostAsJsonAsync("/api/v1/opt-outs", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray()
                .Select(e => e.GetProperty("field").GetString()!).ToArray();
        }

        Assert.Equal(["optOutId", "userId"], await FieldsOf(new { userId = "a", pdq = new string('0', 64) }));
        Assert.Equal(["pdq"], await FieldsOf(new { optOutId = "x", pdq = "not-a-hash" }));
        Assert.Equal(["image"], await FieldsOf(new { optOutId = "x", image = "%%%" }));
        (await http.PostAsJsonAsync("/api/v1/opt-outs", new { optOutId = "dup", userId = "u-1" })).EnsureSuccessStatusCode();
        var again = await (await http.PostAsJsonAsync("/api/v1/opt-outs", new { optOutId = "dup", userId = "u-2" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal("u-1", await connection.ExecuteScalarAsync<string>("select string_agg(user_id, ',') from opt_outs"));
    }
}
