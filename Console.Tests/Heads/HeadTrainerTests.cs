using ModerationConsole.Heads;
using ModerationConsole.Tests.Infrastructure;
using ModerationConsole.Tests.Scoring;

namespace ModerationConsole.Tests.Heads;

/// <summary>How heads are split, trained, measured and exported, on labelled vectors made here.</summary>
[Trait(TestKind.Trait, TestKind.Unit)]
public sealed class HeadTrainerTests
{
    private const int Dimensions = 48;

    [Fact]
    public void The_exported_ONNX_head_gives_the_probability_ML_NET_gives()
    {
        var split = StratifiedSplit.For("hate", Labelled(400, separation: 0.6, seed: 1));
        var trained = HeadTrainer.Train(split, Dimensions, threshold: 0.9, "auto-block", alwaysHuman: false);
        using var host = ScoringTestModels.CpuHost();
        using var head = host.OpenUnregistered(HeadExport.Manifest("image-heads", "1", "backbone@1", Dimensions, [trained.Head], "test"),
            HeadExport.ToOnnx([trained.Head], Dimensions));

        var onnx = HeadRunner.Run(head, split.HeldOut.Select(e => e.Vector).ToList());

        for (var i = 0; i < split.HeldOut.Count; i++)
        {
            Assert.Equal(trained.HeldOutProbabilities[i], onnx[i][0], 4);
            Assert.Equal(trained.HeldOutProbabilities[i], trained.Head.Probability(split.HeldOut[i].Vector), 4);
        }
    }

    [Fact]
    public void A_learnable_category_scores_a_high_ROC_AUC_and_noise_scores_near_chance()
    {
        var learnable = HeadTrainer.Train(StratifiedSplit.For("hate", Labelled(600, separation: 0.5, seed: 2)), Dimensions, 0.9, "auto-block", false);
        var noise = HeadTrainer.Train(StratifiedSplit.For("hate", Labelled(600, separation: 0, seed: 3)), Dimensions, 0.9, "auto-block", false);

        Assert.True(learnable.Metrics.RocAuc > 0.95, $"ROC AUC {learnable.Metrics.RocAuc}");
        Assert.InRange(noise.Metrics.RocAuc, 0.35, 0.65);
        Assert.Equal(learnable.Metrics.HeldOutPositives + learnable.Metrics.HeldOutNegatives,
            learnable.Metrics.Calibration.Sum(b => b.Count));
    }

    [Fact]
    public void The_held_out_part_is_the_latest_fifth_of_each_side_and_shares_no_user_with_training()
    {
        var labelled = Labelled(500, separation: 0.5, seed: 4, users: 60);
        var split = StratifiedSplit.For("hate", labelled);

        var positives = labelled.Count(l => l.BlockedFor.Contains("hate"));
        Assert.Equal((int)Math.Ceiling(positives * StratifiedSplit.HeldOutShare), split.HeldOut.Count(e => e.Label));
        var byVector = labelled.ToDictionary(l => l.Vector);
        var heldOut = split.HeldOut.Select(e => byVector[e.Vector]).ToList();
        var training = split.Training.Select(e => byVector[e.Vector]).ToList();
        Assert.Empty(training.Select(t => t.User).Intersect(heldOut.Select(h => h.User)));
        var latestTrainedPositive = training.Where(t => t.BlockedFor.Contains("hate")).Max(t => t.DecidedAt);
        Assert.True(heldOut.Where(h => h.BlockedFor.Contains("hate")).All(h => h.DecidedAt >= latestTrainedPositive));
        Assert.Equal(labelled.Select(l => l.Moderator).Distinct().Count(), split.Moderators);
    }

    [Fact]
    public void A_block_for_another_category_is_no_label_and_a_restricted_approval_never_arrives()
    {
        var vector = new float[Dimensions];
        var otherBlock = new LabelledEmbedding(1, vector, new HashSet<string> { "violence" }, Approved: false, 1, "u", DateTimeOffset.UnixEpoch);
        var approval = otherBlock with { BlockedFor = new HashSet<string>(), Approved = true };

        Assert.Null(otherBlock.LabelFor("hate"));
        Assert.True(otherBlock.LabelFor("violence"));
        Assert.False(approval.LabelFor("hate"));
    }

    /// <summary>Unit vectors; positives lean along one direction by <paramref name="separation"/>. Decided one a minute apart.</summary>
    private static List<LabelledEmbedding> Labelled(int count, double separation, int seed, int users = 0)
    {
        var random = new Random(seed);
        var direction = Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        Embeddings.EmbeddingVector.Normalize(direction);
        var labelled = new List<LabelledEmbedding>();
        for (var i = 0; i < count; i++)
        {
            var positive = random.Next(3) == 0;
            var vector = Enumerable.Range(0, Dimensions).Select(_ => (float)Gaussian(random) / MathF.Sqrt(Dimensions)).ToArray();
            if (positive) for (var d = 0; d < Dimensions; d++) vector[d] += (float)separation * direction[d];
            Embeddings.EmbeddingVector.Normalize(vector);
            labelled.Add(new LabelledEmbedding(i + 1, vector, positive ? new HashSet<string> { "hate" } : new HashSet<string>(), !positive,
                Moderator: i % 4, User: users > 0 ? $"u{random.Next(users)}" : $"u{i}", DecidedAt: DateTimeOffset.UnixEpoch.AddMinutes(i)));
        }
        return labelled;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
