using System.Reflection;

namespace ModerationConsole.Tests.Infrastructure;

[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class TestKindTests
{
    /// <summary>An untagged class would drop out of every filtered run, so each one names exactly one kind.</summary>
    [Fact]
    public void Every_test_class_names_exactly_one_kind()
    {
        var testClasses = typeof(TestKindTests).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.GetCustomAttribute<FactAttribute>() is not null));

        var wrong = testClasses
            .Select(type => (type.FullName, Kinds: type.GetCustomAttributes<TraitAttribute>()
                .Where(trait => trait.Name == TestKind.Trait).Select(trait => trait.Value).ToList()))
            .Where(entry => entry.Kinds.Count != 1 || !TestKind.All.Contains(entry.Kinds[0]))
            .Select(entry => $"{entry.FullName}: [{string.Join(", ", entry.Kinds)}]")
            .ToList();

        Assert.True(wrong.Count == 0, "Tag each test class with one [Trait(TestKind.Trait, TestKind.…)]:\n" + string.Join("\n", wrong));
    }
}
