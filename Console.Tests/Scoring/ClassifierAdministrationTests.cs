using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Scoring;
using ModerationConsole.Scoring.Training;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Scoring;

/// <summary>Admins train and activate classifier versions: one active version per classifier, each step audited with who did it.</summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ClassifierAdministrationTests(PostgresFixture postgres) : IAsyncLifetime
{
    private TestConsole console = null!;

    public async ValueTask InitializeAsync() => console = await TestConsole.StartAsync(postgres, "--Scoring:ExecutionProvider=cpu");

    public async ValueTask DisposeAsync() => await console.DisposeAsync();

    [Fact]
    public async Task Activating_a_version_retires_the_active_one_and_is_audited_with_both()
    {
        var (admin, principal) = await console.PersonAsync(Roles.Admin);
        var prompts = console.Service<PromptModelService>();
        var store = console.Service<ClassifierStore>();

        var first = await prompts.TrainAsync(principal);
        var second = await prompts.TrainAsync(principal);
        await store.ActivateAsync(principal, first.Name, first.Version);
        await store.ActivateAsync(principal, second.Name, second.Version);

        var versions = (await store.ListAsync()).Where(v => v.Name == PromptModelService.ModelName).ToList();
        Assert.Equal([second.Version], versions.Where(v => v.Active).Select(v => v.Version));
        await using var connection = await console.OpenConnectionAsync();
        var entries = (await connection.QueryAsync<(string ActorKind, string ActorId, string Details)>(
            "select actor_kind, actor_id, details::text from audit_log where action = 'classifier.activated' order by id")).ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal(("user", admin.Id.ToString()), (e.ActorKind, e.ActorId)));
        Assert.Contains($"\"version\": \"{first.Version}\"", entries[0].Details);
        Assert.Contains("\"previous\": null", entries[0].Details);
        Assert.Contains($"\"version\": \"{second.Version}\"", entries[1].Details);
        Assert.Contains($"\"previous\": \"{first.Version}\"", entries[1].Details);
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_log where action = 'classifier.trained' and actor_kind = 'user' and actor_id = @id", new { id = admin.Id.ToString() }));
    }

    [Fact]
    public async Task An_unknown_version_is_refused_and_changes_nothing()
    {
        var (_, admin) = await console.PersonAsync(Roles.Admin);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => console.Service<ClassifierStore>().ActivateAsync(admin, "prompt-fasttext", "999"));

        Assert.Contains("999", error.Message);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from audit_log where action = 'classifier.activated'"));
    }
}
