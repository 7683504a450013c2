using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Bank;
using ModerationConsole.Hashing;

namespace ModerationConsole.Tests.Bank;

/// <summary>The in-memory bank index gives exactly the brute-force answer, however the near copy's bits are spread.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class BankIndexTests
{
    private static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64());

    private static PdqHash Flip(PdqHash hash, int bits, Random random)
    {
        foreach (var bit in Enumerable.Range(0, 256).OrderBy(_ => random.Next()).Take(bits)) hash = hash.FlipBit(bit);
        return hash;
    }

    [Theory]
    [InlineData(31)]
    [InlineData(15)]
    [InlineData(47)]
    public void Matches_are_the_brute_force_matches(int maxDistance)
    {
        var random = new Random(maxDistance);
        var index = new BankIndex();
        var banked = Enumerable.Range(1, 20_000).Select(i => (Id: (long)i, Hash: RandomHash(random))).ToList();
        foreach (var (id, hash) in banked) index.Add(id, hash);

        for (var query = 0; query < 400; query++)
        {
            // Half the queries are near copies of a banked hash, at every distance up to just past the limit.
            var probe = query % 2 == 0
                ? Flip(banked[random.Next(banked.Count)].Hash, random.Next(maxDistance + 4), random)
                : RandomHash(random);
            Assert.Equal(index.MatchByScan(probe, maxDistance), index.Match(probe, maxDistance));
        }
    }

    [Fact]
    public void A_removed_entry_no_longer_matches_and_adding_an_id_twice_changes_nothing()
    {
        var random = new Random(3);
        var index = new BankIndex();
        var hash = RandomHash(random);
        index.Add(1, hash);
        index.Add(1, RandomHash(random));
        Assert.Equal(1, index.Count);
        Assert.Equal(new BankHit(1, 0), index.Match(hash, 31));

        index.Remove(1);
        Assert.Null(index.Match(hash, 31));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void The_closest_entry_wins()
    {
        var random = new Random(4);
        var index = new BankIndex();
        var hash = RandomHash(random);
        index.Add(1, Flip(hash, 20, random));
        index.Add(2, Flip(hash, 6, random));
        Assert.Equal(2, index.Match(hash, 31)!.Value.EntryId);
    }
}
